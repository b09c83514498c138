"""Propagation: walks a captured graph node by node and lets channel layouts flow along it, dispatching every
module to its layer family (``CHANNEL_LAYERS``) and every function to its op rule (``CHANNEL_OPS``), and applying
the policy (scope, exclusions, strictness) to what no rule follows."""
from dataclasses import dataclass
from typing import Any, Dict, Optional, Sequence

import torch
import torch.fx as fx
from torch import nn
from torch.fx.passes.shape_prop import TensorMetadata

from ..layers import layer_type_of
from ..registry import CHANNEL_OPS
from .capture import strip
from .channel_graph import Layer
from .groups import GroupStore
from .ops.elementwise import PASSTHROUGH_MODULES, PASSTHROUGH_OPS
from .ops.shape import follow_reshape, follow_unfold
from .trace_values import NOT_TENSOR, ChannelTraceError, ParameterSource, TracedConst, TracedTensor, is_sequence

# Ops that multiply-accumulate outside conv and linear modules: neither the estimator nor the counter counts them.
UNCOUNTED_MAC_OPS = frozenset({
    'matmul', 'mm', 'bmm', 'baddbmm', 'addmm', 'addbmm', 'einsum', 'linear', 'bilinear', 'conv1d', 'conv2d',
    'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d', 'scaled_dot_product_attention',
})


@dataclass
class TracePolicy:
    """Which modules may change width and what an unknown operation means (see :class:`ChannelTracer`)."""
    scope: Sequence[str]
    exclude: Sequence[str] = ()
    strict: bool = True

    def in_scope(self, path: str) -> bool:
        return any(p == '' or path == p or path.startswith(p + '.') for p in self.scope)

    def excluded(self, path: str) -> bool:
        return any(path == p or path.startswith(p + '.') for p in self.exclude)


def _contains(args: Any, kwargs: Any, kind: type) -> bool:
    """Whether a value of ``kind`` occurs anywhere in (nested) arguments."""
    found = []
    fx.node.map_aggregate((args, kwargs), lambda v: found.append(v) if isinstance(v, kind) else None)
    return bool(found)


def _op_name(node: fx.Node) -> str:
    if node.op == 'call_method':
        return str(node.target)
    return getattr(node.target, '__name__', str(node.target))


def _source(path: str, holder: nn.Module, attr: torch.Tensor) -> Optional[ParameterSource]:
    """A parameter with more than one entry in its last dim, held by a module that no layer family owns (whose
    other parameters therefore follow no channels), may be sliced along that dim."""
    if not isinstance(attr, nn.Parameter) or attr.dim() == 0 or attr.shape[-1] < 2 or layer_type_of(holder):
        return None
    return ParameterSource(path, attr.numel() // attr.shape[-1])


def _kept_source(op: str, args: tuple, meta: TensorMetadata) -> Optional[ParameterSource]:
    """The parameter a constant computed from one parameter alone still comes from: element-wise maps and
    expansions (over a batch) that keep its last dim."""
    consts = [a for a in args if isinstance(a, TracedConst)]
    if op not in PASSTHROUGH_OPS or len(consts) != 1 or consts[0].source is None or \
            len(meta.shape) != len(consts[0].shape) or meta.shape[-1] != consts[0].shape[-1]:
        return None
    return consts[0].source


def _where(node: fx.Node) -> str:
    stack = node.meta.get('nn_module_stack')
    if not stack:
        return ''
    return strip(next(reversed(stack.values()))[0])


class Propagation:
    """The state of one trace: its groups, the layers recorded so far (by module path), every parameter the
    graphs used (``reached``), and the multiply-accumulating ops that FLOPs leave out. Several graphs (the
    counted entry, then loss-path heads with ``counting`` off) are walked into the same state.
    """

    def __init__(self, policy: TracePolicy):
        self.policy = policy
        self.groups = GroupStore()
        self.layers: Dict[str, Layer] = {}
        self.reached: set = set()
        self.counting = True
        self.uncounted: Dict[str, None] = {}
        self._module_output: Dict[str, int] = {}

    def walk(self, graph: fx.Graph, root: nn.Module) -> None:
        values: Dict[fx.Node, Any] = {}
        for node in graph.nodes:
            values[node] = self._visit(node, values, root)

    def _visit(self, node: fx.Node, values: Dict[fx.Node, Any], graph_module: nn.Module) -> Any:
        args = fx.node.map_arg(node.args, lambda n: values[n])
        kwargs = fx.node.map_arg(node.kwargs, lambda n: values[n])
        meta = node.meta.get('tensor_meta')
        if node.op == 'placeholder':
            return TracedTensor(meta.shape, self.groups.fresh_layout(meta.shape, 'network input'))
        if node.op == 'get_attr':
            owner, _, name = str(node.target).rpartition('.')
            holder = graph_module.get_submodule(owner)
            attr = getattr(holder, name)
            self.reached.add(id(attr))
            if not isinstance(attr, torch.Tensor):
                return NOT_TENSOR
            return TracedConst(attr.shape, _source(strip(str(node.target)), holder, attr))
        if node.op == 'output':
            self.groups.fix_value(args[0], 'model output')
            return None
        where = _where(node)
        if node.op == 'call_module':
            module = graph_module.get_submodule(str(node.target))
            self.reached.update(id(p) for p in module.parameters())
            return self._visit_module(strip(str(node.target)), module, args + tuple(kwargs.values()), meta)
        return self._visit_function(_op_name(node), args, kwargs, meta, where)

    # -------------------------------------------------------------------------------------------------- modules
    def _visit_module(self, name: str, module: nn.Module, args: tuple, meta: Any) -> Any:
        """``args``: the call's arguments, positional then keyword in the order given."""
        family = layer_type_of(module)
        x = args[0] if args else None
        if isinstance(x, TracedTensor) and x.layout is None and len(x.shape) >= 2:
            x = self.groups.untraced_channels(x, family.input_dim if family else 1, name)
        if not isinstance(x, TracedTensor) or x.layout is None:
            return self.unknown(f'{type(module).__name__} on a tensor without channels', name, args, meta)
        if family is not None:
            return family.trace(self, name, module, x, meta, args)
        if isinstance(module, nn.Flatten):
            return follow_reshape(self, x, meta, name)
        if isinstance(module, nn.Unfold):
            return follow_unfold(self, module, x, meta, name)
        if isinstance(module, PASSTHROUGH_MODULES):
            return TracedTensor(meta.shape, x.layout, x.channel_dim)
        return self.unknown(f'module type {type(module).__name__}', name, args, meta)

    def output_group(self, name: str, channels: int, fixed: Optional[str] = None) -> int:
        """The group of a module's output channels (one per module, however often it is called)."""
        if name not in self._module_output:
            self._module_output[name] = self.groups.new_group(channels, producer=name, fixed=fixed)
        return self._module_output[name]

    def record(self, name: str, layer: Layer) -> None:
        """Records a layer; a layer called again (shared heads) adds its MACs and ties its inputs. Layers of the
        loss-path traces add no MACs: the counted entry does not run them."""
        if not self.counting:
            layer.macs_coef = layer.macs_per_channel = 0
        known = self.layers.get(name)
        if known is None:
            self.layers[name] = layer
            return
        known.macs_coef += layer.macs_coef
        known.macs_per_channel += layer.macs_per_channel
        self.groups.tie(known.inputs, layer.inputs, site=None, where=name)

    # ------------------------------------------------------------------------------------------------ functions
    def _visit_function(self, op: str, args: tuple, kwargs: dict, meta: Any, where: str) -> Any:
        tensors = [a for a in args if isinstance(a, TracedTensor)]
        if isinstance(meta, TensorMetadata) and not _contains(args, kwargs, TracedTensor) and \
                _contains(args, kwargs, TracedConst):
            return TracedConst(meta.shape, _kept_source(op, args, meta))  # from parameters and constants only
        if op in UNCOUNTED_MAC_OPS and self.counting:
            self.uncounted[f'{op} in {where or "the top level"}'] = None
        if not tensors and not is_sequence(meta) and not isinstance(meta, TensorMetadata):
            return NOT_TENSOR
        rule = CHANNEL_OPS.get(op)
        if rule is not None and rule.needs == 'values':
            return rule(self, op, tensors[0] if tensors else None, args, kwargs, meta, where)
        if not tensors:
            return self.unknown(f'{op}', where, args, meta)
        x = tensors[0]
        if rule is not None and rule.needs == 'tensor':
            return rule(self, op, x, args, kwargs, meta, where)
        if x.layout is None and isinstance(meta, TensorMetadata):
            return TracedTensor(meta.shape, None)  # no channels to follow
        if rule is not None:
            return rule(self, op, x, args, kwargs, meta, where)
        return self.unknown(f'{op}', where, args, meta)

    def adopt(self, value: Any, like: TracedTensor) -> Optional[TracedTensor]:
        """``value`` with the channels of ``like``, where it is a parameter whose last dim meets them there (a
        ViT's position embedding added to its tokens, its cls token concatenated with them, a layer scale): the
        parameter is recorded, sliced with those channels, under the module that holds it. None otherwise."""
        last = len(like.shape) - 1
        if not isinstance(value, TracedConst) or value.source is None or like.layout is None or \
                like.channel_dim != last or value.shape[-1] != like.shape[last]:
            return None
        owner, _, tensor = value.source.path.rpartition('.')
        known = self.layers.get(owner)
        if known is not None and not known.tensors:  # its holder is a traced layer: its family owns its tensors
            return None
        self.record(owner, Layer(owner, 'parameter', like.layout, tensors=(tensor, ),
                                 values_per_channel=value.source.per_channel, channels_last=True))
        if known is not None and tensor not in known.tensors:
            known.tensors += (tensor, )
            known.values_per_channel += value.source.per_channel
        return TracedTensor(value.shape, like.layout, len(value.shape) - 1)

    def unknown(self, what: str, where: str, args: Any, meta: Any) -> Any:
        """An operation the tracer cannot follow: an error inside the searched scope, otherwise the channels it
        touches are kept (outside the scope nothing needs to change width)."""
        if self.policy.strict and self.policy.in_scope(where) and not self.policy.excluded(where):
            raise ChannelTraceError(
                f'cannot tell how channels flow through {what} in module "{where or "<top level of the model>"}". '
                f'Exclude that module from the search (width_space exclude=["{where}"]) to keep its channels, '
                'or teach mmwidth the operation: register a layer family in mmwidth.registry.CHANNEL_LAYERS or an '
                'op rule in CHANNEL_OPS (see mmwidth/layers).')
        reason = f'passes through {what} in {where or "the top level"}'
        self.groups.fix_value(args, reason)
        return self.opaque(meta, reason)

    def opaque(self, meta: Any, reason: str) -> Any:
        """Outputs whose channels the tracer does not follow: new fixed groups."""
        if is_sequence(meta):
            return type(meta)(self.opaque(m, reason) for m in meta)
        if isinstance(meta, TensorMetadata):
            return TracedTensor(meta.shape, self.groups.fresh_layout(meta.shape, reason))
        return NOT_TENSOR
