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


@dataclass(frozen=True)
class ParameterSource:
    """The parameter whose last dim a constant's last dim is (``path`` from the traced model), and its number of
    values per entry of that dim: a parameter that may be sliced with the channels it meets."""
    path: str
    per_channel: int


@dataclass
class TracedConst:
    """A parameter or buffer read directly by the graph (``get_attr``), or a tensor computed from them only;
    ``source`` where its last dim is a parameter's that element-wise ops and token concatenation may align with
    traced channels (a ViT's cls token and position embedding)."""
    shape: torch.Size
    source: Optional[ParameterSource] = None


class _NotTensor:
    """Sizes, dtypes and other non-tensor values."""


NOT_TENSOR = _NotTensor()


def is_sequence(meta: Any) -> bool:
    """Whether shape propagation recorded several outputs (``TensorMetadata`` is itself a named tuple)."""
    return isinstance(meta, (tuple, list)) and not isinstance(meta, TensorMetadata)


def normal_dim(dim: int, ndim: int) -> int:
    return dim + ndim if dim < 0 else dim
