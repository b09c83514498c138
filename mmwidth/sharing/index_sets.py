"""Sharing patterns: which channel indices a width uses inside a group of the supernet.

An index set is ``None`` (every channel), a ``slice`` (contiguous channels: layers take views, no copies) or a
sorted ``LongTensor`` (arbitrary channels: layers gather them). A group split into blocks (the groups of a
grouped conv or a group norm) applies its pattern to one block and selects the same positions in every block,
so an index set of a group of several blocks is a slice only when it keeps every channel.
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
                      generator: Optional[torch.Generator] = None,
                      blocks: Optional[Mapping[str, int]] = None) -> Dict[str, IndexSet]:
    """The index set of every group of ``subnet`` under one of :data:`PATTERNS` applied to the whole network.

    ``blocks``: the blocks of each group (``WidthSpace.blocks``; absent = 1): the pattern picks
    ``width / blocks`` positions of one block and every block keeps those.
    """
    if pattern not in PATTERNS:
        raise ConfigError(f'unknown sharing pattern "{pattern}"; choose one of {sorted(PATTERNS)}')
    make = PATTERNS[pattern]
    extra = dict(generator=generator) if pattern == 'random' else {}
    sets = {}
    for name, width in subnet.items():
        count = (blocks or {}).get(name, 1)
        if width % count:
            raise ValueError(f'group "{name}" has {count} blocks; a width of {width} is not a multiple of them')
        sets[name] = repeat_in_blocks(make(channels[name] // count, width // count, **extra), channels[name],
                                      count)
    return sets


def repeat_in_blocks(index: IndexSet, channels: int, blocks: int) -> IndexSet:
    """The index set that selects the positions ``index`` (of one block) in each of ``blocks`` equal blocks
    of ``channels``."""
    if index is None or blocks == 1:
        return index
    size = channels // blocks
    return (torch.arange(blocks)[:, None] * size + index_tensor(index, size)).flatten()


def keeps_blocks(index: IndexSet, channels: int, blocks: int) -> bool:
    """Whether ``index`` selects the same positions in each of ``blocks`` equal blocks of ``channels``."""
    if index is None or blocks == 1:
        return True
    if isinstance(index, slice) or index.numel() % blocks:
        return False
    return torch.equal(repeat_in_blocks(block_positions(index, blocks).cpu(), channels, blocks), index.cpu())


def block_positions(index: IndexSet, blocks: int) -> IndexSet:
    """The positions inside one block of an index set that selects the same positions in each of ``blocks``
    equal blocks: the channels a grouped conv's weight indexes along its per-group dimension."""
    if index is None or blocks == 1:
        return index
    if isinstance(index, slice):
        raise ValueError(f'a contiguous index set {index} cannot select the same channels in {blocks} blocks')
    return index[:index.numel() // blocks]


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
               generator: Optional[torch.Generator] = None, blocks: int = 1) -> IndexSet:
    """CafeNet's locally free pattern for a width of ``bins`` bins (bin ``j`` ends at channel ``edges[j]``).

    The first ``bins - f`` bins are base channels; the other ``f = min(zone_offset, bins)`` bins are drawn from
    the local zone ``[bins - f, bins + f)`` around the boundary (clipped at the last bin). ``zone_offset=0`` is
    the left pattern. A group of several ``blocks`` (its edges are multiples of them) places its bins in one
    block and keeps the same positions in every block.
    """
    if blocks > 1:
        placed = local_free([edge // blocks for edge in edges], bins, zone_offset, generator)
        return repeat_in_blocks(placed, edges[-1], blocks)
    free = min(zone_offset, bins)
    zone = list(range(bins - free, min(bins + free, len(edges))))
    drawn = torch.randperm(len(zone), generator=generator)[:free].tolist()
    selected = list(range(bins - free)) + sorted(zone[i] for i in drawn)
    starts = [0] + list(edges[:-1])
    index = torch.cat([torch.arange(starts[b], edges[b]) for b in selected])
    return None if index.numel() == edges[-1] else as_slice(index)
