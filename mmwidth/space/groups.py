"""The group store of one trace: a union-find of channel groups with what each has learnt on the way (who writes
its channels, why it is fixed, where it was tied, into how many blocks it is split)."""
import math
from dataclasses import dataclass, field
from typing import Any, List, Optional, Tuple

import torch

from .channel_graph import Segment
from .trace_values import Layout, TracedTensor, normal_dim


@dataclass
class GroupRecord:
    """One group while tracing: ``order`` is its creation index (the order of names and producers)."""
    channels: int
    order: int
    producers: List[Tuple[int, str]] = field(default_factory=list)
    fixed: List[str] = field(default_factory=list)
    tie_sites: List[str] = field(default_factory=list)
    blocks: int = 1


class GroupStore:
    """The groups of one trace (a new store per trace: nothing outlives it)."""

    def __init__(self):
        self.records: List[GroupRecord] = []
        self._parent: List[int] = []

    def new_group(self, channels: int, producer: Optional[str] = None, fixed: Optional[str] = None) -> int:
        gid = len(self.records)
        self.records.append(GroupRecord(channels, gid, [(gid, producer)] if producer else [],
                                        [fixed] if fixed else []))
        self._parent.append(gid)
        return gid

    def find(self, gid: int) -> int:
        while self._parent[gid] != gid:
            self._parent[gid] = self._parent[self._parent[gid]]
            gid = self._parent[gid]
        return gid

    def roots(self) -> List[int]:
        """The surviving groups, in creation order."""
        return sorted({self.find(g) for g in range(len(self.records))})

    def record(self, gid: int) -> GroupRecord:
        return self.records[self.find(gid)]

    def union(self, a: int, b: int, site: Optional[str]) -> None:
        """Joins two groups; ``site`` names where (a residual add), for naming the group."""
        a, b = self.find(a), self.find(b)
        if a == b:
            if site is not None:
                self.records[a].tie_sites.append(site)
            return
        if a > b:
            a, b = b, a
        ga, gb = self.records[a], self.records[b]
        ga.producers += gb.producers
        ga.fixed += gb.fixed
        ga.tie_sites += gb.tie_sites + ([site] if site is not None else [])
        ga.blocks = math.lcm(ga.blocks, gb.blocks)
        self._parent[b] = a

    def seg_size(self, seg: Segment) -> int:
        return self.record(seg.group).channels * seg.factor

    def fix(self, layout: Optional[Layout], reason: str) -> None:
        for seg in layout or ():
            self.record(seg.group).fixed.append(reason)

    def fix_value(self, value: Any, reason: str) -> None:
        """Fixes the channels of every traced tensor in a (nested) value."""
        if isinstance(value, TracedTensor):
            self.fix(value.layout, reason)
        elif isinstance(value, (tuple, list)):
            for item in value:
                self.fix_value(item, reason)
        elif isinstance(value, dict):
            for item in value.values():
                self.fix_value(item, reason)

    def tie(self, a: Layout, b: Layout, site: Optional[str], where: str) -> Layout:
        """Ties two layouts channel by channel; layouts cut at different places are kept as they are."""
        if [self.seg_size(s) for s in a] == [self.seg_size(s) for s in b] and \
                [s.factor for s in a] == [s.factor for s in b]:
            for sa, sb in zip(a, b):
                self.union(sa.group, sb.group, site)
            return a
        reason = f'combined element-wise with differently concatenated channels in {where}'
        self.fix(a, reason)
        self.fix(b, reason)
        return a

    def split_blocks(self, layout: Layout, blocks: int, what: str) -> None:
        """``what`` splits the channels of ``layout`` into ``blocks`` equal blocks (a grouped conv's groups, a
        group norm's groups): each group keeps widths that are multiples of ``blocks``. Concatenated channels
        and blocks of one channel keep their width."""
        if blocks == 1:
            return
        if len(layout) > 1 or layout[0].factor != 1:
            self.fix(layout, f'split into {blocks} blocks across concatenated channels by {what}')
            return
        group = self.record(layout[0].group)
        group.blocks = math.lcm(group.blocks, blocks)
        if self.seg_size(layout[0]) == blocks:
            self.fix(layout, f'one channel per block of {what} (groups={blocks})')

    def fresh_layout(self, shape: torch.Size, reason: str) -> Optional[Layout]:
        """A new fixed group for channels (dim 1) whose origin the tracer does not follow."""
        if len(shape) < 2:
            return None
        return (Segment(self.new_group(int(shape[1]), fixed=reason)), )

    def untraced_channels(self, x: TracedTensor, dim: int, where: str) -> TracedTensor:
        """A tensor whose channels the tracer did not follow (reduced over, or reshaped after their groups were
        fixed) read as channels along ``dim``: a new fixed group."""
        dim = normal_dim(dim, len(x.shape))
        reason = f'computed by operations the tracer does not follow, before {where}'
        return TracedTensor(x.shape, (Segment(self.new_group(int(x.shape[dim]), fixed=reason)), ), dim)
