"""The values that flow along a traced graph in place of real tensors (their shapes and channel layouts), and
the error of a trace that cannot follow them."""
from dataclasses import dataclass
from typing import Any, Optional, Tuple

import torch
from torch.fx.passes.shape_prop import TensorMetadata

from ..utils.errors import WidthSearchError
from .channel_graph import Segment

Layout = Tuple[Segment, ...]


class ChannelTraceError(WidthSearchError, RuntimeError):
    """The tracer cannot tell how channels flow through part of a model."""


@dataclass
class TracedTensor:
    """A traced tensor: its shape and the group of each channel along ``channel_dim`` (1, or the last dim of
    channels-last layouts); ``layout`` is None without channels."""
    shape: torch.Size
    layout: Optional[Layout]
    channel_dim: int = 1


@dataclass
class TracedConst:
    """A parameter or buffer read directly by the graph (``get_attr``), or a tensor computed from them only."""
    shape: torch.Size


class _NotTensor:
    """Sizes, dtypes and other non-tensor values."""


NOT_TENSOR = _NotTensor()


def is_sequence(meta: Any) -> bool:
    """Whether shape propagation recorded several outputs (``TensorMetadata`` is itself a named tuple)."""
    return isinstance(meta, (tuple, list)) and not isinstance(meta, TensorMetadata)


def normal_dim(dim: int, ndim: int) -> int:
    return dim + ndim if dim < 0 else dim
