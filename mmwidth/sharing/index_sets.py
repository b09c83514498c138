"""Sharing patterns: which channel indices a width uses inside a group of the supernet.

An index set is ``None`` (every channel), a ``slice`` (contiguous channels: layers take views, no copies) or a
sorted ``LongTensor`` (arbitrary channels: layers gather them).
"""
from typing import Dict, Mapping, Optional, Sequence, Union

import torch

from ..utils.errors import ConfigError

IndexSet = Union[None, slice, torch.Tensor]


def left(channels: int, width: int) -> IndexSet:
    """The leftmost ``width`` channels (AutoSlim's unilateral pattern, BCNet's left path)."""
    return None if width >= channels else slice(0, width)


def right(channels: int, width: int) -> IndexSet:
    """The rightmost ``width`` channels (BCNet's right path)."""
    return None if width >= channels else slice(channels - width, channels)


def random(channels: int, width: int, generator: Optional[torch.Generator] = None) -> IndexSet:
    """``width`` channels drawn without replacement, in increasing order."""
    if width >= channels:
        return None
    return torch.randperm(channels, generator=generator)[:width].sort().values


PATTERNS = dict(left=left, right=right, random=random)


def subnet_index_sets(channels: Mapping[str, int], subnet: Mapping[str, int], pattern: str = 'left',
                      generator: Optional[torch.Generator] = None) -> Dict[str, IndexSet]:
    """The index set of every group of ``subnet`` under one of :data:`PATTERNS` applied to the whole network."""
    if pattern not in PATTERNS:
        raise ConfigError(f'unknown sharing pattern "{pattern}"; choose one of {sorted(PATTERNS)}')
    make = PATTERNS[pattern]
    extra = dict(generator=generator) if pattern == 'random' else {}
    return {name: make(channels[name], width, **extra) for name, width in subnet.items()}


def index_tensor(index: IndexSet, channels: int) -> torch.Tensor:
    """The index set as explicit indices."""
    if index is None:
        return torch.arange(channels)
    if isinstance(index, slice):
        return torch.arange(index.start, index.stop)
    return index


def as_slice(index: torch.Tensor) -> IndexSet:
    """A slice when the indices are one contiguous increasing run (so that layers can take views)."""
    if index.numel() and int(index[-1]) - int(index[0]) + 1 == index.numel() and \
            bool((index[1:] > index[:-1]).all()):
        return slice(int(index[0]), int(index[-1]) + 1)
    return index


def width_of(index: IndexSet, channels: int) -> int:
    if index is None:
        return channels
    if isinstance(index, slice):
        return index.stop - index.start
    return int(index.numel())


def local_free(edges: Sequence[int], bins: int, zone_offset: int,
               generator: Optional[torch.Generator] = None) -> IndexSet:
    """CafeNet's locally free pattern for a width of ``bins`` bins (bin ``j`` ends at channel ``edges[j]``).

    The first ``bins - f`` bins are base channels; the other ``f = min(zone_offset, bins)`` bins are drawn from
    the local zone ``[bins - f, bins + f)`` around the boundary (clipped at the last bin). ``zone_offset=0`` is
    the left pattern.
    """
    free = min(zone_offset, bins)
    zone = list(range(bins - free, min(bins + free, len(edges))))
    drawn = torch.randperm(len(zone), generator=generator)[:free].tolist()
    selected = list(range(bins - free)) + sorted(zone[i] for i in drawn)
    starts = [0] + list(edges[:-1])
    index = torch.cat([torch.arange(starts[b], edges[b]) for b in selected])
    return None if index.numel() == edges[-1] else as_slice(index)
