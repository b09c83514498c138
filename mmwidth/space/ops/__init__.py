"""The tracing rules of tensor operations, registered in ``CHANNEL_OPS`` by op name: element-wise maps and
products, reshapes and permutes, concatenation, splits, slices and indexing, reductions."""
from . import elementwise, reduce, shape, slicing  # noqa: F401  (they register the rules)
from .base import channel_op

__all__ = ['channel_op']
