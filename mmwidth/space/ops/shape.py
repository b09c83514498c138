"""Reshapes and permutes: the channel axis keeps its place in memory order, or moves with the dims."""
import math
from typing import Any

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


@channel_op(*RESHAPE_OPS)
def reshape(trace: Any, op: str, x: TracedTensor, args: tuple, kwargs: dict, meta: Any, where: str) -> TracedTensor:
    return follow_reshape(trace, x, meta, where)


@channel_op(*PERMUTE_OPS)
def permute(trace: Any, op: str, x: TracedTensor, args: tuple, kwargs: dict, meta: Any, where: str) -> Any:
    """permute/transpose/movedim move the channel dimension (channels-last layouts: ConvNeXt)."""
    ndim = len(x.shape)
    rest = [a for a in args[1:]] + [v for k, v in kwargs.items() if k in ('dims', 'dim0', 'dim1', 'source',
                                                                             'destination')]
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
