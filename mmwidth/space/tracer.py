"""Finds the channel groups of any ``nn.Module`` from its torch.fx graph.

The model is traced symbolically, its shapes are propagated with one real input, and a channel *layout* (which
group each channel of a tensor belongs to) flows along the graph: convs and linears start new groups, norms and
element-wise ops pass layouts through, residual adds and gating products tie groups, depthwise convs pass their
producer's group on, concatenation joins layouts and flattening scales them. Whatever the tracer cannot follow
is an error that names the module and the operation, unless that module is excluded from the search.
"""
import math
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
import torch.fx as fx
from mmengine.logging import print_log
from torch import nn
from torch.fx.passes.shape_prop import ShapeProp, TensorMetadata
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd

from ..utils.errors import WidthSearchError
from ..utils.model_call import FEATURE_EXTRACTOR, forward_tensor, trace_entries
from .channel_graph import ChannelGraph, ChannelGroup, Layer, Segment


class ChannelTraceError(WidthSearchError, RuntimeError):
    """The tracer cannot tell how channels flow through part of a model."""


Layout = Tuple[Segment, ...]

# Ops that keep every channel where it is (element-wise maps, spatial resampling, casts, dropout).
PASSTHROUGH_OPS = frozenset({
    'relu', 'relu_', 'relu6', 'leaky_relu', 'leaky_relu_', 'elu', 'gelu', 'silu', 'sigmoid', 'sigmoid_',
    'tanh', 'tanh_', 'hardswish', 'hardsigmoid', 'hardtanh', 'hardtanh_', 'mish', 'softplus', 'selu', 'celu',
    'dropout', 'dropout_', 'dropout2d', 'dropout3d', 'alpha_dropout', 'drop_path', 'max_pool1d', 'max_pool2d',
    'max_pool3d', 'avg_pool1d', 'avg_pool2d', 'avg_pool3d', 'adaptive_avg_pool1d', 'adaptive_avg_pool2d',
    'adaptive_avg_pool3d', 'adaptive_max_pool1d', 'adaptive_max_pool2d', 'adaptive_max_pool3d',
    'interpolate', 'upsample', 'pad', 'contiguous', 'clone', 'detach', 'float', 'half', 'double', 'to',
    'type', 'type_as', 'softmax', 'log_softmax', 'clamp', 'clamp_', 'clip', 'abs', 'neg', 'exp', 'sqrt',
    'rsqrt', 'square', 'pow', 'normalize', 'sign', 'reciprocal',
})
BINARY_OPS = frozenset({
    'add', 'add_', 'iadd', 'sub', 'sub_', 'isub', 'rsub', 'mul', 'mul_', 'imul', 'truediv', 'div', 'div_',
    'itruediv', 'maximum', 'minimum', 'where',
})
REDUCE_OPS = frozenset({'mean', 'sum', 'amax', 'amin', 'std', 'var', 'logsumexp', 'norm'})
RESHAPE_OPS = frozenset({'flatten', 'view', 'reshape', 'squeeze', 'unsqueeze'})
SPLIT_OPS = frozenset({'chunk', 'split', 'unbind', 'tensor_split'})
METADATA_OPS = frozenset({'size', 'dim', 'numel', 'getattr', 'len'})
CAT_OPS = frozenset({'cat', 'concat', 'concatenate'})

PASSTHROUGH_MODULES = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Sigmoid, nn.Tanh, nn.Hardswish,
    nn.Hardsigmoid, nn.Hardtanh, nn.Mish, nn.Softplus, nn.SELU, nn.CELU, nn.Dropout, nn.Dropout1d, nn.Dropout2d,
    nn.Dropout3d, nn.AlphaDropout, nn.Identity, nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d,
    nn.AvgPool2d, nn.AvgPool3d, nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d,
    nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d, nn.Upsample, nn.ZeroPad2d,
    nn.ConstantPad2d, nn.ReflectionPad2d, nn.ReplicationPad2d, nn.Softmax, nn.LogSoftmax,
)
# Norms over channels that cannot change width here (group sizes, normalised shapes): their groups stay fixed.
FIXING_NORMS = (nn.GroupNorm, nn.LayerNorm, nn.modules.instancenorm._InstanceNorm, nn.LocalResponseNorm)


@dataclass
class _Tensor:
    """A traced tensor: its shape and the group of each channel along ``channel_dim`` (1, or the last dim of
    channels-last layouts); ``layout`` is None without channels."""
    shape: torch.Size
    layout: Optional[Layout]
    channel_dim: int = 1


@dataclass
class _Const:
    """A parameter or buffer read directly by the graph (``get_attr``)."""
    shape: torch.Size


class _NotTensor:
    """Sizes, dtypes and other non-tensor values."""


NOT_TENSOR = _NotTensor()


@dataclass
class _Group:
    channels: int
    order: int
    producers: List[Tuple[int, str]]
    fixed: List[str]
    tie_sites: List[str]
    blocks: int = 1


class _LeafTracer(fx.Tracer):
    """Keeps every conv, linear and norm (subclasses included, e.g. mmcv's) as one call in the graph."""

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        if isinstance(m, (_ConvNd, nn.Linear, _BatchNorm) + FIXING_NORMS):
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


def _is_sequence(meta: Any) -> bool:
    """Whether shape propagation recorded several outputs (``TensorMetadata`` is itself a named tuple)."""
    return isinstance(meta, (tuple, list)) and not isinstance(meta, TensorMetadata)


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
    """

    def __init__(self, scope: Optional[Sequence[str]] = None, exclude: Sequence[str] = (), strict: bool = True):
        self.scope = None if scope is None else list(scope)
        self.exclude = list(exclude)
        self.strict = strict

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
        graph, root = self._capture(model, tuple(input_shape))
        values: Dict[fx.Node, Any] = {}
        for node in graph.nodes:
            values[node] = self._visit(node, values, root)
        return self._finish(model, tuple(input_shape))

    def _capture(self, model: nn.Module, input_shape: Tuple[int, ...]) -> Tuple[fx.Graph, nn.Module]:
        """The graph of the first entry (:func:`trace_entries`) that can be traced, with its root module."""
        failures = []
        was_training = model.training
        model.eval()
        try:
            for entry in trace_entries(model, self._scope):
                root = _Entry(model, entry)
                try:
                    graph = self._fx_graph(root, input_shape)
                except ChannelTraceError as err:
                    failures.append(err)
                    continue
                self._entry = entry
                if entry == FEATURE_EXTRACTOR:
                    print_log(f'the whole forward of {type(model).__name__} cannot be traced ({failures[-1]}); '
                              f'traced its feature extractor {entry}, whose outputs stay fixed', logger='current')
                return graph, root
        finally:
            model.train(was_training)
        if len(failures) == 1:
            raise failures[0]
        raise ChannelTraceError('; '.join(str(err) for err in failures)) from failures[-1]

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

    def _fix(self, layout: Optional[Layout], reason: str) -> None:
        for seg in layout or ():
            self._groups[self._find(seg.group)].fixed.append(reason)

    def _fix_value(self, value: Any, reason: str) -> None:
        if isinstance(value, _Tensor):
            self._fix(value.layout, reason)
        elif isinstance(value, (tuple, list)):
            for item in value:
                self._fix_value(item, reason)
        elif isinstance(value, dict):
            for item in value.values():
                self._fix_value(item, reason)

    def _fresh_layout(self, shape: torch.Size, reason: str) -> Optional[Layout]:
        """A new fixed group for channels whose origin the tracer does not follow."""
        if len(shape) < 2:
            return None
        return (Segment(self._new_group(int(shape[1]), fixed=reason)), )

    def _tie(self, a: Layout, b: Layout, site: Optional[str], where: str) -> Layout:
        """Ties two layouts channel by channel; layouts cut at different places are kept as they are."""
        if [self._seg_size(s) for s in a] == [self._seg_size(s) for s in b] and \
                [s.factor for s in a] == [s.factor for s in b]:
            for sa, sb in zip(a, b):
                self._union(sa.group, sb.group, site)
            return a
        reason = f'combined element-wise with differently concatenated channels in {where}'
        self._fix(a, reason)
        self._fix(b, reason)
        return a

    def _seg_size(self, seg: Segment) -> int:
        return self._groups[self._find(seg.group)].channels * seg.factor

    # ---------------------------------------------------------------------------------------------- node visits
    def _visit(self, node: fx.Node, values: Dict[fx.Node, Any], graph_module: fx.GraphModule) -> Any:
        args = fx.node.map_arg(node.args, lambda n: values[n])
        kwargs = fx.node.map_arg(node.kwargs, lambda n: values[n])
        meta = node.meta.get('tensor_meta')
        if node.op == 'placeholder':
            return _Tensor(meta.shape, self._fresh_layout(meta.shape, 'network input'))
        if node.op == 'get_attr':
            attr = graph_module
            for part in str(node.target).split('.'):
                attr = getattr(attr, part)
            return _Const(attr.shape) if isinstance(attr, torch.Tensor) else NOT_TENSOR
        if node.op == 'output':
            self._fix_value(args[0], 'model output')
            return None
        where = self._where(node)
        if node.op == 'call_module':
            module = graph_module.get_submodule(str(node.target))
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
        if _is_sequence(meta):
            return type(meta)(self._opaque(m, reason) for m in meta)
        if isinstance(meta, TensorMetadata):
            return _Tensor(meta.shape, self._fresh_layout(meta.shape, reason))
        return NOT_TENSOR

    # -------------------------------------------------------------------------------------------------- modules
    def _visit_module(self, name: str, module: nn.Module, args: tuple, meta: Any, where: str) -> Any:
        x = args[0] if args else None
        if not isinstance(x, _Tensor) or x.layout is None:
            return self._unknown(f'{type(module).__name__} on a tensor without channels', name, args, meta)
        if isinstance(module, _ConvNd) and not module.transposed:
            return self._visit_conv(name, module, x, meta)
        if isinstance(module, nn.Linear):
            return self._visit_linear(name, module, x, meta)
        if isinstance(module, _BatchNorm):
            self._record(name, Layer(name, 'norm', x.layout, affine=module.affine))
            return _Tensor(meta.shape, x.layout)
        if isinstance(module, FIXING_NORMS):
            self._fix(x.layout, f'normalised by {type(module).__name__} {name}')
            return _Tensor(meta.shape, x.layout)
        if isinstance(module, nn.Flatten):
            return self._reshape(x, meta, name)
        if isinstance(module, PASSTHROUGH_MODULES):
            return _Tensor(meta.shape, x.layout)
        return self._unknown(f'module type {type(module).__name__}', name, args, meta)

    def _visit_conv(self, name: str, conv: _ConvNd, x: _Tensor, meta: Any) -> _Tensor:
        out_shape = meta.shape
        spatial = int(torch.Size(out_shape[2:]).numel())
        kernel = int(torch.Size(conv.kernel_size).numel())
        common = dict(macs_coef=spatial * kernel, weight_per_pair=kernel, has_bias=conv.bias is not None)
        if conv.groups == 1:
            out = self._output_group(name, conv.out_channels)
            self._record(name, Layer(name, 'conv', x.layout, output=out, **common))
            return _Tensor(out_shape, (Segment(out), ))
        if conv.groups == conv.in_channels == conv.out_channels:
            self._record(name, Layer(name, 'conv', x.layout, depthwise=True, **common))
            return _Tensor(out_shape, x.layout)
        reason = f'feeds grouped conv {name} (groups={conv.groups})'
        self._fix(x.layout, reason)
        out = self._output_group(name, conv.out_channels, fixed=f'output of grouped conv {name}')
        self._record(name, Layer(name, 'conv', x.layout, output=out, conv_groups=conv.groups, **common))
        return _Tensor(out_shape, (Segment(out), ))

    def _visit_linear(self, name: str, linear: nn.Linear, x: _Tensor, meta: Any) -> _Tensor:
        layout = x.layout
        tokens = int(torch.Size(x.shape[1:-1]).numel())
        if len(x.shape) != 2:
            reason = f'feeds linear {name} along a token dimension'
            self._fix(layout, reason)
            layout = self._fresh_layout(torch.Size([1, linear.in_features]), reason)
        out = self._output_group(name, linear.out_features)
        self._record(name, Layer(name, 'linear', layout, output=out, macs_coef=tokens, weight_per_pair=1,
                                 has_bias=linear.bias is not None))
        return _Tensor(meta.shape, (Segment(out), ))

    def _output_group(self, name: str, channels: int, fixed: Optional[str] = None) -> int:
        if name not in self._module_output:
            self._module_output[name] = self._new_group(channels, producer=name, fixed=fixed)
        return self._module_output[name]

    def _record(self, name: str, layer: Layer) -> None:
        """Records a layer; a layer called again (shared heads) adds its MACs and ties its inputs."""
        known = self._layers.get(name)
        if known is None:
            self._layers[name] = layer
            return
        known.macs_coef += layer.macs_coef
        self._tie(known.inputs, layer.inputs, site=None, where=name)

    # ------------------------------------------------------------------------------------------------ functions
    def _visit_function(self, node: fx.Node, op: str, args: tuple, kwargs: dict, meta: Any, where: str) -> Any:
        tensors = [a for a in args if isinstance(a, _Tensor)]
        if op in METADATA_OPS:
            return NOT_TENSOR
        if op == 'getitem':
            return self._getitem(args, meta, where)
        if not tensors and not _is_sequence(meta) and not isinstance(meta, TensorMetadata):
            return NOT_TENSOR
        if op in BINARY_OPS:
            return self._binary(op, args, meta, where)
        if op in CAT_OPS:
            return self._cat(args, kwargs, meta, where)
        if not tensors:
            return self._unknown(f'{op}', where, args, meta)
        x = tensors[0]
        if op in PASSTHROUGH_OPS and isinstance(meta, TensorMetadata):
            return _Tensor(meta.shape, x.layout if len(meta.shape) == len(x.shape) else None)
        if op in RESHAPE_OPS:
            return self._reshape(x, meta, where)
        if op in REDUCE_OPS:
            return self._reduce(x, args, kwargs, meta)
        if op in SPLIT_OPS:
            return self._split(x, args, kwargs, meta, where)
        return self._unknown(f'{op}', where, args, meta)

    def _binary(self, op: str, args: tuple, meta: Any, where: str) -> _Tensor:
        shape = meta.shape
        full = []
        for arg in args:
            if isinstance(arg, _Tensor) and arg.layout is not None and len(arg.shape) == len(shape) \
                    and len(shape) >= 2 and arg.shape[1] == shape[1] and shape[1] > 1:
                full.append(arg)
            elif isinstance(arg, (_Const, _Tensor)) and self._per_channel(arg.shape, shape):
                reason = f'scaled by a per-channel tensor in {where}'
                self._fix_value(args, reason)
        if not full:
            layouts = [a.layout for a in args if isinstance(a, _Tensor) and a.layout is not None
                       and len(a.shape) == len(shape)]
            return _Tensor(shape, layouts[0] if layouts else None)
        site = where if op in ('add', 'add_', 'iadd', 'sub', 'sub_', 'isub', 'rsub') else None
        layout = full[0].layout
        for other in full[1:]:
            layout = self._tie(layout, other.layout, site, where)
        return _Tensor(shape, layout)

    @staticmethod
    def _per_channel(arg_shape: torch.Size, out_shape: torch.Size) -> bool:
        """Whether an operand without a traced layout still varies along the channel dimension."""
        dim = 1 - (len(out_shape) - len(arg_shape))
        return len(out_shape) >= 2 and 0 <= dim < len(arg_shape) and arg_shape[dim] > 1 and \
            len(arg_shape) < len(out_shape)

    def _cat(self, args: tuple, kwargs: dict, meta: Any, where: str) -> Any:
        items = args[0]
        dim = kwargs.get('dim', args[1] if len(args) > 1 else 0)
        ndim = len(meta.shape)
        if dim < 0:
            dim += ndim
        if any(not isinstance(t, _Tensor) or t.layout is None for t in items):
            return self._unknown('cat of tensors without traced channels', where, args, meta)
        if dim == 1:
            return _Tensor(meta.shape, tuple(seg for t in items for seg in t.layout))
        layout = items[0].layout
        for other in items[1:]:
            layout = self._tie(layout, other.layout, None, where)
        return _Tensor(meta.shape, layout)

    def _reshape(self, x: _Tensor, meta: Any, where: str) -> _Tensor:
        old, new = tuple(x.shape), tuple(meta.shape)
        if x.layout is None:
            return _Tensor(meta.shape, None)
        if len(old) >= 2 and len(new) >= 2 and old[:2] == new[:2] and \
                torch.Size(old[2:]).numel() == torch.Size(new[2:]).numel():
            spatial_old = torch.Size(old[2:]).numel()
            if spatial_old == 1 or old[2:] == new[2:] or len(new) > 2:
                return _Tensor(meta.shape, x.layout)
        if len(old) >= 3 and new == (old[0], torch.Size(old[1:]).numel()):
            factor = torch.Size(old[2:]).numel()
            return _Tensor(meta.shape, tuple(Segment(s.group, s.factor * factor) for s in x.layout))
        reason = f'reshaped from {list(old)} to {list(new)} in {where}'
        self._fix(x.layout, reason)
        return _Tensor(meta.shape, self._fresh_layout(meta.shape, reason))

    def _reduce(self, x: _Tensor, args: tuple, kwargs: dict, meta: Any) -> Any:
        dims = kwargs.get('dim', args[1] if len(args) > 1 else None)
        if _is_sequence(meta):  # max/min with indices
            meta = meta[0]
        if dims is None:
            return _Tensor(meta.shape, None)
        dims = [dims] if isinstance(dims, int) else list(dims)
        dims = [d + len(x.shape) if d < 0 else d for d in dims]
        keeps_channels = 1 not in dims and len(meta.shape) >= 2
        return _Tensor(meta.shape, x.layout if keeps_channels else None)

    def _split(self, x: _Tensor, args: tuple, kwargs: dict, meta: Any, where: str) -> Any:
        dim = kwargs.get('dim', args[2] if len(args) > 2 else 0)
        if dim < 0:
            dim += len(x.shape)
        if dim != 1:
            return type(meta)(_Tensor(m.shape, x.layout) for m in meta)
        reason = f'split along channels in {where}'
        self._fix(x.layout, reason)
        return self._opaque(meta, reason)

    def _getitem(self, args: tuple, meta: Any, where: str) -> Any:
        container, index = args[0], args[1]
        if isinstance(container, (tuple, list)):
            return container[index]
        if not isinstance(container, _Tensor):
            return NOT_TENSOR
        index = index if isinstance(index, tuple) else (index, )
        touches_channels = len(index) > 1 and index[0] is not Ellipsis and index[1] != slice(None)
        if not touches_channels and len(meta.shape) == len(container.shape):
            return _Tensor(meta.shape, container.layout)
        reason = f'indexed along channels in {where}'
        self._fix(container.layout, reason)
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
        return ChannelGraph(groups, layers, input_shape, other_params=other_params, entry=self._entry)

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
            role = 'norm' if layer.kind == 'norm' else 'depthwise' if layer.depthwise else 'in'
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
