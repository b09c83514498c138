"""Reshapes and permutes: the channel axis keeps its place in memory order, or moves with the dims."""
import math
from typing import Any

from torch import nn

from ..channel_graph import Segment
from ..trace_values import TracedTensor, normal_dim
from .base import channel_op

RESHAPE_OPS = frozenset({'flatten', 'view', 'reshape', 'squeeze', 'unsqueeze', 'squeeze_', 'unsqueeze_',
                         'view_as', 'reshape_as'})
PERMUTE_OPS = frozenset({'permute', 'transpose', 'swapaxes', 'swapdims', 'movedim'})


def follow_reshape(trace: Any, x: TracedTensor, meta: Any, where: str) -> TracedTensor:
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
    trace.groups.fix(x.layout, reason)
    return TracedTensor(meta.shape, trace.groups.fresh_layout(meta.shape, reason))


def _target_sizes(op: str, args: tuple, kwargs: dict) -> tuple:
    """The sizes a view/reshape asks for, as given (``x.view(a, b)``, ``x.view((a, b))``, ``torch.reshape(x,
    shape)``); empty for the other reshapes."""
    if op not in ('view', 'reshape'):
        return ()
    sizes = kwargs.get('shape', kwargs.get('size', args[1:]))
    return tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else tuple(sizes)


@channel_op(*RESHAPE_OPS)
def reshape(trace: Any, op: str, x: TracedTensor, args: tuple, kwargs: dict, meta: Any, where: str) -> TracedTensor:
    """A reshape whose size for the channels is written as a number (not read from a tensor: in either graph a
    size read from a tensor is no plain int) holds that width in the model's code: its channels are fixed, since
    a subnet of another width could not run it (Swin's ``out.view(-1, *hw_shape, self.num_features[i])``)."""
    out = follow_reshape(trace, x, meta, where)
    sizes = _target_sizes(op, args, kwargs)
    if len(sizes) == len(meta.shape) and type(sizes[out.channel_dim]) is int and sizes[out.channel_dim] > 0:
        trace.groups.fix(out.layout, f'reshaped to a width written as a number ({sizes[out.channel_dim]}) in '
                                     f'{where or "the top level"}')
    return out


@channel_op(*PERMUTE_OPS)
def permute(trace: Any, op: str, x: TracedTensor, args: tuple, kwargs: dict, meta: Any, where: str) -> Any:
    """permute/transpose/movedim move the channel dimension (channels-last layouts: ConvNeXt)."""
    ndim = len(x.shape)
    keys = ('dims', 'dim0', 'dim1', 'source', 'destination')
    rest = list(args[1:]) + [v for k, v in kwargs.items() if k in keys]
    if op == 'permute':
        dims = rest[0] if len(rest) == 1 and isinstance(rest[0], (tuple, list)) else rest
    elif op == 'movedim':
        src, dst = rest[:2]
        if not isinstance(src, int) or not isinstance(dst, int):
            return trace.unknown(f'{op} of several dimensions', where, args, meta)
        dims = [d for d in range(ndim) if d != normal_dim(src, ndim)]
        dims.insert(normal_dim(dst, ndim), normal_dim(src, ndim))
    else:  # transpose, swapaxes, swapdims
        dims = list(range(ndim))
        a, b = (normal_dim(d, ndim) if isinstance(d, int) else d for d in rest[:2])
        if not isinstance(a, int) or not isinstance(b, int):
            return trace.unknown(f'{op} of dimensions computed at run time', where, args, meta)
        dims[a], dims[b] = dims[b], dims[a]
    if not all(isinstance(d, int) for d in dims):
        return trace.unknown(f'{op} of dimensions computed at run time', where, args, meta)
    dims = [normal_dim(d, ndim) for d in dims]
    return TracedTensor(meta.shape, x.layout, dims.index(x.channel_dim))


@channel_op('roll')
def roll(trace: Any, op: str, x: TracedTensor, args: tuple, kwargs: dict, meta: Any, where: str) -> Any:
    """Rolling other dims (a shifted window's spatial cycle) keeps the channels; rolling them is a shuffle."""
    dims = kwargs.get('dims', args[2] if len(args) > 2 else None)
    dims = [dims] if isinstance(dims, int) else dims
    if dims is None or not all(isinstance(d, int) for d in dims) or \
            x.channel_dim in [normal_dim(d, len(x.shape)) for d in dims]:
        return trace.unknown(op, where, args, meta)  # of the channels, or of the flattened tensor
    return TracedTensor(meta.shape, x.layout, x.channel_dim)


def follow_unfold(trace: Any, unfold: nn.Unfold, x: TracedTensor, meta: Any, where: str) -> TracedTensor:
    """``nn.Unfold`` lays each channel's ``kh x kw`` patch out consecutively along dim 1 (a patch merging's
    sampler): each channel then owns that many features, as after a flatten."""
    if x.channel_dim != 1 or len(x.shape) != 4:
        return trace.unknown(f'{type(unfold).__name__} of channels that are not dim 1 of (B, C, H, W)', where,
                             (x, ), meta)
    k = meta.shape[1] // x.shape[1]
    return TracedTensor(meta.shape, tuple(Segment(s.group, s.factor * k) for s in x.layout), 1)
