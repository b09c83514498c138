"""Reductions (mean, sum, max of a dim, ...)."""
from typing import Any

from ..trace_values import TracedTensor, is_sequence, normal_dim
from .base import channel_op

REDUCE_OPS = frozenset({'mean', 'sum', 'amax', 'amin', 'std', 'var', 'logsumexp', 'norm'})


@channel_op(*REDUCE_OPS)
def reduce(trace: Any, op: str, x: TracedTensor, args: tuple, kwargs: dict, meta: Any, where: str) -> Any:
    """Reducing over the channels leaves none; over other dims the channel axis moves down past them."""
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
