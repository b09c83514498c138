"""Counting which channels a supernet's passes actually use."""
from typing import Dict, Optional

import torch

from ..sharing.index_sets import IndexSet
from ..utils.errors import CheckpointError
from .dynamic_supernet import DynamicSupernet


class ChannelUsage:
    """Counts, per searchable group, how many forward passes with gradients used each channel.

    The count is taken from what each group's first producing layer used (its ``mmwidth_out`` at forward time),
    not from what a sampler meant to train. Passes without gradients (scoring, evaluation) are not counted.
    """

    def __init__(self, supernet: DynamicSupernet, counts: Optional[Dict[str, torch.Tensor]] = None):
        space = supernet.space
        fresh = {name: torch.zeros(space.channels(name), dtype=torch.long) for name in space.names}
        if counts is not None and {k: v.shape for k, v in counts.items()} != {k: v.shape for k, v in fresh.items()}:
            raise CheckpointError('the channel counts in the checkpoint do not match the groups of this supernet')
        self.counts = fresh if counts is None else counts
        group_of = {space.graph.index[name]: name for name in space.names}
        for module, layer in supernet.layers():
            name = group_of.pop(layer.output, None)
            if name is not None:
                module.mmwidth_monitor = self._counter(name)

    def _counter(self, name: str):

        def count(layer) -> None:
            if torch.is_grad_enabled():
                self.add(name, layer.mmwidth_out)

        return count

    def add(self, name: str, index: IndexSet) -> None:
        counts = self.counts[name]
        if index is None:
            counts += 1
        elif isinstance(index, slice):
            counts[index] += 1
        else:
            counts[index.cpu()] += 1

    def coefficient_of_variation(self) -> float:
        """std / mean of the counts over all searchable channels (0 when nothing was counted)."""
        counts = torch.cat(list(self.counts.values())).double()
        mean = counts.mean()
        return 0.0 if mean == 0 else float(counts.std(unbiased=False) / mean)
