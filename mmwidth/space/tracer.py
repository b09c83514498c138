"""Finds the channel groups of any ``nn.Module`` from its torch.fx graph.

The model is traced symbolically (or, where torch.fx cannot follow its code, recorded during one real forward
pass: :mod:`.runtime_graph`), its shapes are propagated with one real input, and a channel *layout* (which
group each channel of a tensor belongs to) flows along the graph: convs and linears start new groups, norms and
element-wise ops pass layouts through, residual adds and gating products tie groups, depthwise convs pass their
producer's group on, concatenation joins layouts and flattening scales them. Whatever the tracer cannot follow
is an error that names the module and the operation, unless that module is excluded from the search.
"""
import logging
import math
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
import torch.fx as fx
from mmengine.logging import print_log
from torch import nn
from torch.fx.passes.shape_prop import ShapeProp, TensorMetadata

from ..layers import layer_type, layer_type_of
from ..utils.errors import WidthSearchError
from ..utils.model_call import WHOLE_FORWARD, forward_tensor, loss_path_heads, trace_entries
from .channel_graph import ChannelGraph, ChannelGroup, Layer, Segment
from .runtime_graph import RuntimeTraceError, record_graph
from .trace_values import NOT_TENSOR, Layout, TracedConst, TracedTensor, is_sequence, normal_dim


class ChannelTraceError(WidthSearchError, RuntimeError):
    """The tracer cannot tell how channels flow through part of a model."""


# Ops that keep every channel where it is (element-wise maps, spatial resampling, casts, dropout).
PASSTHROUGH_OPS = frozenset({
    'relu', 'relu_', 'relu6', 'leaky_relu', 'leaky_relu_', 'elu', 'gelu', 'silu', 'sigmoid', 'sigmoid_',
    'tanh', 'tanh_', 'hardswish', 'hardsigmoid', 'hardtanh', 'hardtanh_', 'mish', 'softplus', 'selu', 'celu',
    'dropout', 'dropout_', 'dropout2d', 'dropout3d', 'alpha_dropout', 'drop_path', 'max_pool1d', 'max_pool2d',
    'max_pool3d', 'avg_pool1d', 'avg_pool2d', 'avg_pool3d', 'adaptive_avg_pool1d', 'adaptive_avg_pool2d',
    'adaptive_avg_pool3d', 'adaptive_max_pool1d', 'adaptive_max_pool2d', 'adaptive_max_pool3d',
    'interpolate', 'upsample', 'pad', 'contiguous', 'clone', 'detach', 'float', 'half', 'double', 'to',
    'type', 'type_as', 'softmax', 'log_softmax', 'clamp', 'clamp_', 'clip', 'abs', 'neg', 'exp', 'sqrt',
    'rsqrt', 'square', 'pow', 'normalize', 'sign', 'reciprocal', 'expand', 'expand_as',
})
# Ops whose values do not depend on their input tensor, only its shape.
CONSTANT_LIKE_OPS = frozenset({'zeros_like', 'ones_like', 'full_like', 'empty_like', 'new_zeros', 'new_ones',
                               'new_full', 'new_empty', 'new_tensor'})
BINARY_OPS = frozenset({
    'add', 'add_', 'iadd', 'radd', 'sub', 'sub_', 'isub', 'rsub', 'mul', 'mul_', 'imul', 'rmul', 'truediv', 'div',
    'div_', 'itruediv', 'rtruediv', 'rdiv', 'maximum', 'minimum', 'where',
})
REDUCE_OPS = frozenset({'mean', 'sum', 'amax', 'amin', 'std', 'var', 'logsumexp', 'norm'})
RESHAPE_OPS = frozenset({'flatten', 'view', 'reshape', 'squeeze', 'unsqueeze', 'squeeze_', 'unsqueeze_',
                         'view_as', 'reshape_as'})
PERMUTE_OPS = frozenset({'permute', 'transpose', 'swapaxes', 'swapdims', 'movedim'})
SPLIT_OPS = frozenset({'chunk', 'split', 'unbind', 'tensor_split'})
CHANNEL_SLICE_OPS = SPLIT_OPS | {'narrow'}
METADATA_OPS = frozenset({'size', 'dim', 'numel', 'getattr', 'len'})
CAT_OPS = frozenset({'cat', 'concat', 'concatenate'})
# Ops that multiply-accumulate outside conv and linear modules: neither the estimator nor the counter counts them.
UNCOUNTED_MAC_OPS = frozenset({
    'matmul', 'mm', 'bmm', 'baddbmm', 'addmm', 'addbmm', 'einsum', 'linear', 'bilinear', 'conv1d', 'conv2d',
    'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d', 'scaled_dot_product_attention',
})

PASSTHROUGH_MODULES = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Sigmoid, nn.Tanh, nn.Hardswish,
    nn.Hardsigmoid, nn.Hardtanh, nn.Mish, nn.Softplus, nn.SELU, nn.CELU, nn.Dropout, nn.Dropout1d, nn.Dropout2d,
    nn.Dropout3d, nn.AlphaDropout, nn.Identity, nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d,
    nn.AvgPool2d, nn.AvgPool3d, nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d,
    nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d, nn.Upsample, nn.ZeroPad2d,
    nn.ConstantPad2d, nn.ReflectionPad2d, nn.ReplicationPad2d, nn.Softmax, nn.LogSoftmax,
)
@dataclass
class _Group:
    channels: int
    order: int
    producers: List[Tuple[int, str]]
    fixed: List[str]
    tie_sites: List[str]
    blocks: int = 1


class _LeafTracer(fx.Tracer):
    """Keeps every module a registered layer family owns (subclasses included, e.g. mmcv's) as one call in the
    graph."""

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        if layer_type_of(m) is not None:
            return True
        return super().is_leaf_module(m, module_qualified_name)


class _Entry(nn.Module):
    """Calls a model the way ``entry`` says (:func:`forward_tensor`): the root of every traced graph."""

    def __init__(self, model: nn.Module, entry: str):
        super().__init__()
        self.model = model
        self.entry = entry

    def forward(self, inputs):
        return forward_tensor(self.model, inputs, self.entry)


PREFIX = 'model.'


def _strip(path: str) -> str:
    """A module path relative to the traced model ('' for the model itself)."""
    if path == PREFIX[:-1]:
        return ''
    return path[len(PREFIX):] if path.startswith(PREFIX) else path


def _contains(args: Any, kwargs: Any, kind: type) -> bool:
    """Whether a value of ``kind`` occurs anywhere in (nested) arguments."""
    found = []
    fx.node.map_aggregate((args, kwargs), lambda v: found.append(v) if isinstance(v, kind) else None)
    return bool(found)


def _op_name(node: fx.Node) -> str:
    if node.op == 'call_method':
        return str(node.target)
    return getattr(node.target, '__name__', str(node.target))


def _common_prefix(paths: Sequence[str]) -> str:
    parts = [p.split('.') for p in paths]
    prefix = []
    for items in zip(*parts):
        if len(set(items)) != 1:
            break
        prefix.append(items[0])
    return '.'.join(prefix)


class ChannelTracer:
    """Traces a model and returns its :class:`ChannelGraph`.

    Args:
        scope: module path prefixes whose conv/linear outputs may be searched ('' = everything). Default:
            ``['backbone']`` for models with a backbone, everything otherwise.
        exclude: module path prefixes whose outputs are never searched; ops the tracer does not know are
            tolerated inside them (their channels are just kept).
        strict: raise on unknown ops inside the scope and outside excluded modules (otherwise their channels are
            kept silently).
        fixed_modules: module path prefixes that no trace needs to reach (training never runs them, or their
            inputs keep their width); any other module whose parameters no trace uses is an error.
    """

    def __init__(self, scope: Optional[Sequence[str]] = None, exclude: Sequence[str] = (), strict: bool = True,
                 fixed_modules: Sequence[str] = ()):
        self.scope = None if scope is None else list(scope)
        self.exclude = list(exclude)
        self.strict = strict
        self.fixed_modules = list(fixed_modules)

    # ---------------------------------------------------------------------------------------------- entry point
    def trace(self, model: nn.Module, input_shape: Sequence[int]) -> ChannelGraph:
        scope = self.scope
        if scope is None:
            scope = ['backbone'] if isinstance(getattr(model, 'backbone', None), nn.Module) else ['']
        self._scope = scope
        self._model = model
        self._groups: List[_Group] = []
        self._parent: List[int] = []
        self._layers: Dict[str, Layer] = {}
        self._module_output: Dict[str, int] = {}
        self._reached: set = set()
        self._counting = True
        self._uncounted: Dict[str, None] = {}
        shape = tuple(input_shape)
        was_training = model.training
        model.eval()
        try:
            self._entry, graph, root = self._capture(model, shape)
            self._walk(graph, root)
            if self._uncounted:
                print_log(f'FLOPs leave out the multiply-accumulates of {", ".join(self._uncounted)} (only conv '
                          'and linear layers are counted)', logger='current', level=logging.WARNING)
            self._extra_entries = self._trace_loss_path(model, shape)
        finally:
            model.train(was_training)
        return self._finish(model, shape)

    def _walk(self, graph: fx.Graph, root: nn.Module) -> None:
        values: Dict[fx.Node, Any] = {}
        for node in graph.nodes:
            values[node] = self._visit(node, values, root)

    def _trace_loss_path(self, model: nn.Module, input_shape: Tuple[int, ...]) -> List[str]:
        """Traces the heads that only the loss path runs (:func:`loss_path_heads`) into the same groups, so that
        their inputs follow the searched widths; their MACs are not counted (the traced entry does not run them).
        Then every parameter that training uses must have been reached."""
        if self._entry != WHOLE_FORWARD:  # the heads read the feature extractor's outputs, which stay fixed
            return []
        failures, traced = {}, []
        self._counting = False
        for entry in loss_path_heads(model, self._reached_module):
            try:
                graph, root, _ = self._capture_entry(model, entry, input_shape)
            except ChannelTraceError as err:
                failures[entry] = err
                continue
            self._walk(graph, root)
            traced.append(entry)
            print_log(f'traced {type(model).__name__}.{entry}, which only the loss path runs', logger='current')
        missed = self._unreached(model)
        if missed:
            detail = '; '.join(f'{entry}: {err}' for entry, err in failures.items())
            raise ChannelTraceError(
                f'no trace of {type(model).__name__} reaches the parameterised module(s) {", ".join(missed)}, so '
                'their input channels cannot follow the searched widths' + (f' ({detail})' if detail else '') +
                f'. If training never runs them, or their inputs keep their width, declare them width_space '
                f'fixed_modules={missed}.')
        return traced

    def _reached_module(self, module: nn.Module) -> bool:
        return any(id(p) in self._reached for p in module.parameters())

    def _unreached(self, model: nn.Module) -> List[str]:
        """The outermost modules none of whose parameters a trace used (outside ``fixed_modules``)."""
        missed: List[str] = []
        for name, module in model.named_modules():
            if any(name == m or name.startswith(m + '.') for m in missed + self.fixed_modules):
                continue
            params = list(module.parameters())
            if params and not any(id(p) in self._reached for p in params):
                missed.append(name)
        return missed

    def _capture(self, model: nn.Module, input_shape: Tuple[int, ...]) -> Tuple[str, fx.Graph, nn.Module]:
        """The first entry (:func:`trace_entries`) that can be traced, with its graph and root module."""
        failures = []
        for entry in trace_entries(model, self._scope):
            try:
                graph, root, how = self._capture_entry(model, entry, input_shape)
            except ChannelTraceError as err:
                failures.append(err)
                continue
            print_log(f'traced {type(model).__name__}.{entry} {how}', logger='current')
            if failures:
                print_log(f'the whole forward cannot run on a tensor alone ({failures[-1]}): the outputs of '
                          f'{entry} stay fixed and FLOPs count {entry} only', logger='current')
            return entry, graph, root
        if len(failures) == 1:
            raise failures[0]
        raise ChannelTraceError('; '.join(str(err) for err in failures)) from failures[-1]

    def _capture_entry(self, model: nn.Module, entry: str,
                       input_shape: Tuple[int, ...]) -> Tuple[fx.Graph, nn.Module, str]:
        """The graph of one entry, with torch.fx or, where that fails, by recording one forward pass."""
        root = _Entry(model, entry)
        try:
            return self._fx_graph(root, input_shape), root, 'with torch.fx'
        except ChannelTraceError as fx_error:
            return self._runtime_graph(root, input_shape), root, f'by recording one forward pass ({fx_error})'

    @staticmethod
    def _runtime_graph(root: _Entry, input_shape: Tuple[int, ...]) -> fx.Graph:
        """The graph of one real forward pass (:func:`record_graph`), for code torch.fx cannot follow."""
        try:
            return record_graph(root, torch.zeros(1, *input_shape), _LeafTracer().is_leaf_module)
        except RuntimeTraceError as err:
            raise ChannelTraceError(
                f'running {type(root.model).__name__}.{root.entry} on an input of shape {list(input_shape)} failed '
                f'in module "{_strip(err.module) or "<top level>"}": {err}') from err

    @staticmethod
    def _fx_graph(root: _Entry, input_shape: Tuple[int, ...]) -> fx.Graph:
        """The torch.fx graph of ``root`` with the shapes of one real run (``tensor_meta`` of every node)."""
        model = root.model
        tracer = _LeafTracer()
        try:
            graph = tracer.trace(root)
        except Exception as err:  # fx raises many kinds of errors from user code
            where = _strip(next(reversed(tracer.module_stack.values()))[0]) if tracer.module_stack else 'the model'
            raise ChannelTraceError(
                f'torch.fx cannot trace {type(model).__name__}.{root.entry} in module "{where}": '
                f'{type(err).__name__}: {err}. Make that code traceable (no Python control flow on tensor values) '
                'or wrap it in a leaf module.') from err
        graph_module = fx.GraphModule(root, graph)
        try:
            with torch.no_grad():
                ShapeProp(graph_module).propagate(torch.zeros(1, *input_shape))
        except Exception as err:
            raise ChannelTraceError(
                f'running {type(model).__name__}.{root.entry} on an input of shape {list(input_shape)} failed: '
                f'{type(err).__name__}: {err}') from err
        return graph

    # ------------------------------------------------------------------------------------------------- groups
    def _new_group(self, channels: int, producer: Optional[str] = None, fixed: Optional[str] = None) -> int:
        gid = len(self._groups)
        self._groups.append(_Group(channels, gid, [(gid, producer)] if producer else [],
                                   [fixed] if fixed else [], []))
        self._parent.append(gid)
        return gid

    def _find(self, gid: int) -> int:
        while self._parent[gid] != gid:
            self._parent[gid] = self._parent[self._parent[gid]]
            gid = self._parent[gid]
        return gid

    def _union(self, a: int, b: int, site: Optional[str]) -> None:
        a, b = self._find(a), self._find(b)
        if a == b:
            if site is not None:
                self._groups[a].tie_sites.append(site)
            return
        if a > b:
            a, b = b, a
        ga, gb = self._groups[a], self._groups[b]
        ga.producers += gb.producers
        ga.fixed += gb.fixed
        ga.tie_sites += gb.tie_sites + ([site] if site is not None else [])
        ga.blocks = math.lcm(ga.blocks, gb.blocks)
        self._parent[b] = a

    def _require_blocks(self, layout: Optional[Layout], blocks: int) -> None:
        """The channels of ``layout`` are split into ``blocks`` equal blocks (a grouped conv's groups, a group
        norm's groups): each group of a single-segment layout keeps widths that are multiples of ``blocks``."""
        for seg in layout or ():
            group = self._groups[self._find(seg.group)]
            group.blocks = math.lcm(group.blocks, blocks)

    def fix(self, layout: Optional[Layout], reason: str) -> None:
        for seg in layout or ():
            self._groups[self._find(seg.group)].fixed.append(reason)

    def _fix_value(self, value: Any, reason: str) -> None:
        if isinstance(value, TracedTensor):
            self.fix(value.layout, reason)
        elif isinstance(value, (tuple, list)):
            for item in value:
                self._fix_value(item, reason)
        elif isinstance(value, dict):
            for item in value.values():
                self._fix_value(item, reason)

    def fresh_layout(self, shape: torch.Size, reason: str) -> Optional[Layout]:
        """A new fixed group for channels whose origin the tracer does not follow."""
        if len(shape) < 2:
            return None
        return (Segment(self._new_group(int(shape[1]), fixed=reason)), )

    def untraced_channels(self, x: TracedTensor, dim: int, where: str) -> TracedTensor:
        """A tensor whose channels the tracer did not follow (reduced over, or reshaped after their groups were
        fixed) read as channels: a new fixed group."""
        dim = normal_dim(dim, len(x.shape))
        reason = f'computed by operations the tracer does not follow, before {where}'
        return TracedTensor(x.shape, (Segment(self._new_group(int(x.shape[dim]), fixed=reason)), ), dim)

    def _tie(self, a: Layout, b: Layout, site: Optional[str], where: str) -> Layout:
        """Ties two layouts channel by channel; layouts cut at different places are kept as they are."""
        if [self._seg_size(s) for s in a] == [self._seg_size(s) for s in b] and \
                [s.factor for s in a] == [s.factor for s in b]:
            for sa, sb in zip(a, b):
                self._union(sa.group, sb.group, site)
            return a
        reason = f'combined element-wise with differently concatenated channels in {where}'
        self.fix(a, reason)
        self.fix(b, reason)
        return a

    def _seg_size(self, seg: Segment) -> int:
        return self._groups[self._find(seg.group)].channels * seg.factor

    # ---------------------------------------------------------------------------------------------- node visits
    def _visit(self, node: fx.Node, values: Dict[fx.Node, Any], graph_module: fx.GraphModule) -> Any:
        args = fx.node.map_arg(node.args, lambda n: values[n])
        kwargs = fx.node.map_arg(node.kwargs, lambda n: values[n])
        meta = node.meta.get('tensor_meta')
        if node.op == 'placeholder':
            return TracedTensor(meta.shape, self.fresh_layout(meta.shape, 'network input'))
        if node.op == 'get_attr':
            attr = graph_module
            for part in str(node.target).split('.'):
                attr = getattr(attr, part)
            self._reached.add(id(attr))
            return TracedConst(attr.shape) if isinstance(attr, torch.Tensor) else NOT_TENSOR
        if node.op == 'output':
            self._fix_value(args[0], 'model output')
            return None
        where = self._where(node)
        if node.op == 'call_module':
            module = graph_module.get_submodule(str(node.target))
            self._reached.update(id(p) for p in module.parameters())
            return self._visit_module(_strip(str(node.target)), module, args, meta, where)
        return self._visit_function(node, _op_name(node), args, kwargs, meta, where)

    @staticmethod
    def _where(node: fx.Node) -> str:
        stack = node.meta.get('nn_module_stack')
        if not stack:
            return ''
        return _strip(next(reversed(stack.values()))[0])

    def _in_excluded(self, path: str) -> bool:
        return any(path == p or path.startswith(p + '.') for p in self.exclude)

    def _in_scope(self, path: str) -> bool:
        return any(p == '' or path == p or path.startswith(p + '.') for p in self._scope)

    def _unknown(self, what: str, where: str, args: Any, meta: Any) -> Any:
        """An operation the tracer cannot follow: an error inside the searched scope, otherwise the channels it
        touches are kept (outside the scope nothing needs to change width)."""
        if self.strict and self._in_scope(where) and not self._in_excluded(where):
            raise ChannelTraceError(
                f'cannot tell how channels flow through {what} in module "{where or "<top level of the model>"}". '
                f'Exclude that module from the search (width_space exclude=["{where}"]) to keep its channels, '
                'or report the operation to mmwidth.')
        reason = f'passes through {what} in {where or "the top level"}'
        self._fix_value(args, reason)
        return self._opaque(meta, reason)

    def _opaque(self, meta: Any, reason: str) -> Any:
        if is_sequence(meta):
            return type(meta)(self._opaque(m, reason) for m in meta)
        if isinstance(meta, TensorMetadata):
            return TracedTensor(meta.shape, self.fresh_layout(meta.shape, reason))
        return NOT_TENSOR

    # -------------------------------------------------------------------------------------------------- modules
    def _visit_module(self, name: str, module: nn.Module, args: tuple, meta: Any, where: str) -> Any:
        family = layer_type_of(module)
        x = args[0] if args else None
        if isinstance(x, TracedTensor) and x.layout is None and len(x.shape) >= 2:
            x = self.untraced_channels(x, family.input_dim if family else 1, name)
        if not isinstance(x, TracedTensor) or x.layout is None:
            return self._unknown(f'{type(module).__name__} on a tensor without channels', name, args, meta)
        if family is not None:
            return family.trace(self, name, module, x, meta)
        if isinstance(module, nn.Flatten):
            return self._reshape(x, meta, name)
        if isinstance(module, PASSTHROUGH_MODULES):
            return TracedTensor(meta.shape, x.layout, x.channel_dim)
        return self._unknown(f'module type {type(module).__name__}', name, args, meta)

    def split_blocks(self, layout: Layout, blocks: int, what: str) -> None:
        """``what`` splits the channels of ``layout`` into ``blocks`` equal blocks. Concatenated channels and
        blocks of one channel keep their width."""
        if blocks == 1:
            return
        if len(layout) > 1 or layout[0].factor != 1:
            self.fix(layout, f'split into {blocks} blocks across concatenated channels by {what}')
            return
        self._require_blocks(layout, blocks)
        if self._seg_size(layout[0]) == blocks:
            self.fix(layout, f'one channel per block of {what} (groups={blocks})')

    def output_group(self, name: str, channels: int, fixed: Optional[str] = None) -> int:
        if name not in self._module_output:
            self._module_output[name] = self._new_group(channels, producer=name, fixed=fixed)
        return self._module_output[name]

    def record(self, name: str, layer: Layer) -> None:
        """Records a layer; a layer called again (shared heads) adds its MACs and ties its inputs. Layers of the
        loss-path traces add no MACs: the counted entry does not run them."""
        if not self._counting:
            layer.macs_coef = 0
        known = self._layers.get(name)
        if known is None:
            self._layers[name] = layer
            return
        known.macs_coef += layer.macs_coef
        self._tie(known.inputs, layer.inputs, site=None, where=name)

    # ------------------------------------------------------------------------------------------------ functions
    def _visit_function(self, node: fx.Node, op: str, args: tuple, kwargs: dict, meta: Any, where: str) -> Any:
        tensors = [a for a in args if isinstance(a, TracedTensor)]
        if op in UNCOUNTED_MAC_OPS and self._counting:
            self._uncounted[f'{op} in {where or "the top level"}'] = None
        if op in METADATA_OPS:
            return NOT_TENSOR
        if isinstance(meta, TensorMetadata) and not _contains(args, kwargs, TracedTensor) and \
                _contains(args, kwargs, TracedConst):
            return TracedConst(meta.shape)  # computed from parameters and constants only
        if op == 'getitem':
            return self._getitem(args, meta, where)
        if not tensors and not is_sequence(meta) and not isinstance(meta, TensorMetadata):
            return NOT_TENSOR
        if op in BINARY_OPS:
            return self._binary(op, args, meta, where)
        if op in CAT_OPS or op == 'stack':
            return self._cat(op, args, kwargs, meta, where)
        if not tensors:
            return self._unknown(f'{op}', where, args, meta)
        x = tensors[0]
        if op in CONSTANT_LIKE_OPS and isinstance(meta, TensorMetadata):
            return TracedConst(meta.shape)  # only the shape comes from the input
        if op in PASSTHROUGH_OPS and isinstance(meta, TensorMetadata):
            if len(meta.shape) != len(x.shape):
                self.fix(x.layout, f'{op} changes the number of dimensions in {where}')
                return TracedTensor(meta.shape, None)
            if x.layout is not None and meta.shape[x.channel_dim] != x.shape[x.channel_dim]:
                return self._unknown(f'{op} that changes the number of channels', where, args, meta)
            return TracedTensor(meta.shape, x.layout, x.channel_dim)
        if x.layout is None and isinstance(meta, TensorMetadata) and op not in CHANNEL_SLICE_OPS:
            return TracedTensor(meta.shape, None)  # no channels to follow
        if op in RESHAPE_OPS:
            return self._reshape(x, meta, where)
        if op in PERMUTE_OPS:
            return self._permute(op, x, args, kwargs, meta, where)
        if op in REDUCE_OPS:
            return self._reduce(x, args, kwargs, meta)
        if op in SPLIT_OPS:
            return self._split(op, x, args, kwargs, meta, where)
        if op == 'narrow':
            return self._narrow(x, args, kwargs, meta, where)
        return self._unknown(f'{op}', where, args, meta)

    def _binary(self, op: str, args: tuple, meta: Any, where: str) -> TracedTensor:
        shape = meta.shape
        tensors = [a for a in args if isinstance(a, TracedTensor) and a.layout is not None and len(a.shape) == len(shape)]
        dim = tensors[0].channel_dim if tensors else 1
        full = [t for t in tensors if t.channel_dim == dim and len(shape) >= 2 and t.shape[dim] == shape[dim] > 1]
        for arg in args:
            if isinstance(arg, (TracedConst, TracedTensor)) and not any(arg is t for t in full) and \
                    self._per_channel(arg.shape, shape, dim):
                self._fix_value(args, f'scaled by a per-channel tensor in {where}')
        if not full:
            return TracedTensor(shape, tensors[0].layout if tensors else None, dim)
        site = where if op in ('add', 'add_', 'iadd', 'radd', 'sub', 'sub_', 'isub', 'rsub') else None
        layout = full[0].layout
        for other in full[1:]:
            layout = self._tie(layout, other.layout, site, where)
        return TracedTensor(shape, layout, dim)

    @staticmethod
    def _per_channel(arg_shape: torch.Size, out_shape: torch.Size, channel_dim: int) -> bool:
        """Whether an operand without a traced layout still varies along the channel dimension (broadcast from
        the right, as torch does)."""
        dim = channel_dim - (len(out_shape) - len(arg_shape))
        return len(out_shape) >= 2 and 0 <= dim < len(arg_shape) and arg_shape[dim] > 1

    def _cat(self, op: str, args: tuple, kwargs: dict, meta: Any, where: str) -> Any:
        """Concatenation along the channels joins the layouts; along another dimension (or stacking into a new
        one) every part must have the same channels."""
        items = args[0]
        dim = kwargs.get('dim', args[1] if len(args) > 1 else 0)
        if any(not isinstance(t, TracedTensor) for t in items):
            return self._unknown(f'{op} of tensors without traced channels', where, args, meta)
        if op != 'stack' and isinstance(dim, int):
            items = [self.untraced_channels(t, dim, where) if t.layout is None else t for t in items]
        if any(t.layout is None for t in items):
            return self._unknown(f'{op} of tensors without traced channels', where, args, meta)
        dims = {t.channel_dim for t in items}
        if len(dims) > 1:
            reason = f'concatenated with a different channel dimension in {where}'
            self._fix_value(items, reason)
            return self._opaque(meta, reason)
        channel_dim = dims.pop()
        dim = normal_dim(dim, len(meta.shape))
        if op == 'stack':
            channel_dim += int(dim <= channel_dim)
        elif dim == channel_dim:
            return TracedTensor(meta.shape, tuple(seg for t in items for seg in t.layout), channel_dim)
        layout = items[0].layout
        for other in items[1:]:
            layout = self._tie(layout, other.layout, None, where)
        return TracedTensor(meta.shape, layout, channel_dim)

    def _reshape(self, x: TracedTensor, meta: Any, where: str) -> TracedTensor:
        """Follows the channel axis through view/reshape/flatten/squeeze: it keeps its place in memory order when
        the new shape has a dimension with as many elements before it and as many channels (or the channels times
        some of the elements after them: flattening, each channel then feeds ``k`` consecutive features)."""
        old, new = tuple(x.shape), tuple(meta.shape)
        cdim = x.channel_dim
        outer, channels = math.prod(old[:cdim]), old[cdim]
        inner = math.prod(old[cdim + 1:])
        for j, size in enumerate(new):
            if math.prod(new[:j]) != outer or size % channels:
                continue
            k = size // channels
            if inner % k == 0 and math.prod(new[j + 1:]) == inner // k:
                layout = x.layout if k == 1 else tuple(Segment(s.group, s.factor * k) for s in x.layout)
                return TracedTensor(meta.shape, layout, j)
        reason = f'reshaped from {list(old)} to {list(new)} in {where}'
        self.fix(x.layout, reason)
        return TracedTensor(meta.shape, self.fresh_layout(meta.shape, reason))

    def _permute(self, op: str, x: TracedTensor, args: tuple, kwargs: dict, meta: Any, where: str) -> Any:
        """permute/transpose/movedim move the channel dimension (channels-last layouts: ConvNeXt)."""
        ndim = len(x.shape)
        rest = [a for a in args[1:]] + [v for k, v in kwargs.items() if k in ('dims', 'dim0', 'dim1', 'source',
                                                                                 'destination')]
        if op == 'permute':
            dims = rest[0] if len(rest) == 1 and isinstance(rest[0], (tuple, list)) else rest
        elif op == 'movedim':
            src, dst = rest[:2]
            if not isinstance(src, int) or not isinstance(dst, int):
                return self._unknown(f'{op} of several dimensions', where, args, meta)
            dims = [d for d in range(ndim) if d != normal_dim(src, ndim)]
            dims.insert(normal_dim(dst, ndim), normal_dim(src, ndim))
        else:  # transpose, swapaxes, swapdims
            dims = list(range(ndim))
            a, b = (normal_dim(d, ndim) if isinstance(d, int) else d for d in rest[:2])
            if not isinstance(a, int) or not isinstance(b, int):
                return self._unknown(f'{op} of dimensions computed at run time', where, args, meta)
            dims[a], dims[b] = dims[b], dims[a]
        if not all(isinstance(d, int) for d in dims):
            return self._unknown(f'{op} of dimensions computed at run time', where, args, meta)
        dims = [normal_dim(d, ndim) for d in dims]
        return TracedTensor(meta.shape, x.layout, dims.index(x.channel_dim))

    def _reduce(self, x: TracedTensor, args: tuple, kwargs: dict, meta: Any) -> Any:
        dims = kwargs.get('dim', args[1] if len(args) > 1 else None)
        if is_sequence(meta):  # max/min with indices
            meta = meta[0]
        if dims is None:
            return TracedTensor(meta.shape, None)
        dims = [dims] if isinstance(dims, int) else list(dims)
        dims = [normal_dim(d, len(x.shape)) for d in dims]
        if x.channel_dim in dims:
            return TracedTensor(meta.shape, None)
        kept = len(meta.shape) == len(x.shape)
        channel_dim = x.channel_dim if kept else x.channel_dim - sum(d < x.channel_dim for d in dims)
        return TracedTensor(meta.shape, x.layout, channel_dim)

    def _slice(self, layout: Layout, start: int, stop: int, where: str) -> Layout:
        """The segments of channels ``[start, stop)`` of ``layout`` (the inverse of concatenation offsets). A
        group cut by the slice is fixed, and its part becomes a new fixed group."""
        sliced, offset = [], 0
        for seg in layout:
            size = self._seg_size(seg)
            low, high = max(start, offset), min(stop, offset + size)
            if low < high:
                if (low, high) == (offset, offset + size):
                    sliced.append(seg)
                else:
                    reason = f'split through its channels in {where}'
                    self.fix((seg, ), reason)
                    sliced.append(Segment(self._new_group(high - low, fixed=reason)))
            offset += size
        return tuple(sliced)

    def _pin(self, layout: Layout, end: int, where: str) -> None:
        """Channel offsets that the model's code holds as numbers stay right only while the channels before them
        keep their width: fixes the groups of the first ``end`` channels."""
        offset = 0
        for seg in layout:
            if offset >= end:
                break
            self.fix((seg, ), f'sliced at fixed channel offsets in {where}')
            offset += self._seg_size(seg)

    def _parts(self, layout: Layout, sizes: Sequence[int], where: str) -> List[Layout]:
        """Equal parts (chunk): their offsets follow the width when every part has the same segments, which are
        then tied part by part; otherwise every group is kept."""
        parts, offset = [], 0
        for size in sizes:
            parts.append(self._slice(layout, offset, offset + size, where))
            offset += size
        shape = lambda part: [(self._seg_size(s), s.factor) for s in part]  # noqa: E731
        if all(shape(part) == shape(parts[0]) for part in parts):
            for part in parts[1:]:
                for first, seg in zip(parts[0], part):
                    self._union(first.group, seg.group, None)
        else:
            self.fix(layout, f'split into equal parts across unequal groups in {where}')
        return parts

    def _split(self, op: str, x: TracedTensor, args: tuple, kwargs: dict, meta: Any, where: str) -> Any:
        """chunk/split/tensor_split/unbind: along the channels, each part keeps its channels' segments."""
        position = 1 if op == 'unbind' else 2
        dim = kwargs.get('dim', args[position] if len(args) > position else 0)
        if not isinstance(dim, int) or not is_sequence(meta):
            return self._unknown(f'{op} along a dimension computed at run time', where, args, meta)
        dim = normal_dim(dim, len(x.shape))
        if dim != x.channel_dim:
            channel_dim = x.channel_dim - int(op == 'unbind' and dim < x.channel_dim)
            return type(meta)(TracedTensor(m.shape, x.layout, channel_dim) for m in meta)
        if op == 'unbind':
            reason = f'unbound along channels in {where}'
            self.fix(x.layout, reason)
            return self._opaque(meta, reason)
        sizes = [int(m.shape[dim]) for m in meta]
        sections = args[1] if len(args) > 1 else None
        if op == 'chunk' or (op == 'tensor_split' and isinstance(sections, int)):
            layouts = self._parts(x.layout, sizes, where)
        else:  # sizes or indices held as numbers
            self._pin(x.layout, sum(sizes) if op == 'split' else sum(sizes[:-1]), where)
            offsets = [sum(sizes[:i]) for i in range(len(sizes) + 1)]
            layouts = [self._slice(x.layout, offsets[i], offsets[i + 1], where) for i in range(len(sizes))]
        return type(meta)(TracedTensor(m.shape, layout, dim) for m, layout in zip(meta, layouts))

    def _narrow(self, x: TracedTensor, args: tuple, kwargs: dict, meta: Any, where: str) -> Any:
        values = list(args[1:]) + [kwargs[k] for k in ('dim', 'start', 'length') if k in kwargs]
        if len(values) != 3 or not all(isinstance(v, int) for v in values):
            return self._unknown('narrow by sizes computed at run time', where, args, meta)
        dim, start, length = values
        dim = normal_dim(dim, len(x.shape))
        if dim != x.channel_dim:
            return TracedTensor(meta.shape, x.layout, x.channel_dim)
        start = normal_dim(start, x.shape[dim])
        self._pin(x.layout, start + length, where)
        return TracedTensor(meta.shape, self._slice(x.layout, start, start + length, where), dim)

    def _getitem(self, args: tuple, meta: Any, where: str) -> Any:
        container, index = args[0], args[1]
        if isinstance(container, (tuple, list)):
            return container[index]
        if isinstance(container, TracedConst):
            return TracedConst(meta.shape) if isinstance(meta, TensorMetadata) else NOT_TENSOR
        if not isinstance(container, TracedTensor):
            return NOT_TENSOR
        if container.layout is None:
            return TracedTensor(meta.shape, None)
        return self._index(container, index if isinstance(index, tuple) else (index, ), meta, where)

    def _index(self, x: TracedTensor, index: tuple, meta: Any, where: str) -> Any:
        """Basic indexing (ints, slices, None, ...): a slice of the channels keeps the segments it covers."""
        if not all(isinstance(i, (int, slice, type(None))) or i is Ellipsis for i in index) or \
                any(isinstance(i, slice) and not all(isinstance(v, (int, type(None)))
                                                     for v in (i.start, i.stop, i.step)) for i in index):
            return self._index_unknown(x, index, meta, where)
        consumed = sum(1 for i in index if i is not None and i is not Ellipsis)
        expanded = []
        for i in index:
            expanded += [slice(None)] * (len(x.shape) - consumed) if i is Ellipsis else [i]
        dim, out_dim, layout, channel_dim = 0, 0, x.layout, None
        for i in expanded:
            if i is None:
                out_dim += 1
                continue
            if dim == x.channel_dim:
                if isinstance(i, int):
                    return self._index_unknown(x, index, meta, where)
                size = int(x.shape[dim])
                start, stop, step = i.indices(size)
                if step != 1:
                    return self._index_unknown(x, index, meta, where)
                to_end = i.stop is None or i.stop >= size  # slicing clamps: narrower channels still end there
                backwards = any(v is not None and v < 0 for v in (i.start, i.stop))
                self._pin(x.layout, size if backwards else start if to_end else stop, where)
                layout, channel_dim = self._slice(x.layout, start, stop, where), out_dim
            out_dim += int(not isinstance(i, int))
            dim += 1
        if channel_dim is None:
            channel_dim = out_dim + x.channel_dim - dim
        return TracedTensor(meta.shape, layout, channel_dim)

    def _index_unknown(self, x: TracedTensor, index: tuple, meta: Any, where: str) -> Any:
        reason = f'indexed along channels in {where}'
        self.fix(x.layout, reason)
        return self._opaque(meta, reason)

    # --------------------------------------------------------------------------------------------------- result
    def _finish(self, model: nn.Module, input_shape: Tuple[int, ...]) -> ChannelGraph:
        roots = sorted({self._find(g) for g in range(len(self._groups))})
        final = {root: i for i, root in enumerate(roots)}
        remap = lambda gid: final[self._find(gid)]  # noqa: E731
        layers = []
        for layer in self._layers.values():
            layer.inputs = tuple(Segment(remap(s.group), s.factor) for s in layer.inputs)
            if layer.output is not None:
                layer.output = remap(layer.output)
            layers.append(layer)
        modules = dict(model.named_modules())
        groups = []
        for root in roots:
            rec = self._groups[root]
            producers = [name for _, name in sorted(rec.producers)]
            fixed = rec.fixed + self._policy_reasons(producers, modules)
            groups.append(ChannelGroup(name='', channels=rec.channels, producers=producers, members=[],
                                       fixed_reason=fixed[0] if fixed else None, blocks=rec.blocks))
        self._add_members(groups, layers)
        _name_groups(groups, [self._groups[r] for r in roots])
        layer_params = {id(p) for name in self._layers for p in modules[name].parameters(recurse=False)}
        other_params = {name: p.numel() for name, p in model.named_parameters() if id(p) not in layer_params}
        return ChannelGraph(groups, layers, input_shape, other_params=other_params, entry=self._entry,
                            extra_entries=tuple(self._extra_entries), uncounted=tuple(self._uncounted))

    def _policy_reasons(self, producers: List[str], modules: Dict[str, nn.Module]) -> List[str]:
        """Why a group that the graph allows to change is still kept (scope, exclusions, frozen layers)."""
        reasons = []
        for name in producers:
            if not self._in_scope(name):
                reasons.append(f'{name} is outside the searched scope {self._scope}')
            if self._in_excluded(name):
                reasons.append(f'{name} is excluded')
            params = list(modules[name].parameters())
            if params and not any(p.requires_grad for p in params):
                reasons.append(f'{name} is frozen')
        return reasons

    @staticmethod
    def _add_members(groups: List[ChannelGroup], layers: List[Layer]) -> None:
        for layer in layers:
            if layer.output is not None:
                groups[layer.output].members.append(f'{layer.name}:out')
            role = layer_type(layer.kind).role(layer)
            offset = 0
            for seg in layer.inputs:
                width = groups[seg.group].channels * seg.factor
                span = '' if len(layer.inputs) == 1 and seg.factor == 1 else f'[{offset}:{offset + width}]'
                groups[seg.group].members.append(f'{layer.name}:{role}{span}')
                offset += width


def _name_groups(groups: List[ChannelGroup], records: List[_Group]) -> None:
    """Names each group after the modules that write its channels, so that subnet files can be read.

    A single producer names its group. A residual stream is named after the stage that holds its blocks,
    ``<stage>.residual``; the first producer (often the stem or the previous stage's transition) is left out
    when enough others say where the stream lives. Two streams in one stage get their block range:
    ``<stage>.<first>-<last>.residual``.
    """
    names = []
    for group, rec in zip(groups, records):
        producers = group.producers
        if not producers:
            names.append('input' if group.fixed_reason == 'network input' else f'constant@{rec.order}')
        elif len(producers) == 1 or not rec.tie_sites:
            names.append(producers[0])
        else:
            core = producers[1:] if len(producers) >= 3 else producers
            prefix = _common_prefix(core)
            names.append(f'{prefix}.residual' if prefix else 'residual')
    repeated = {name for name in names if names.count(name) > 1 and name.endswith('residual')}
    for i, group in enumerate(groups):
        if names[i] in repeated:
            prefix = names[i][:-len('residual')]
            blocks = [p[len(prefix):].split('.')[0] for p in group.producers if p.startswith(prefix)]
            if blocks:
                names[i] = f'{prefix}{blocks[0]}-{blocks[-1]}.residual'
    taken = set()
    for group, name in zip(groups, names):
        if name in taken:
            name = f'{name}@{group.producers[0] if group.producers else len(taken)}'
        taken.add(name)
        group.name = name
