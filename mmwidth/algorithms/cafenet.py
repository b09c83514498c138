"""CafeNet (ICLR 2021): locally free weight sharing, trained with a min-min objective."""
from typing import Dict, List, Union

import torch
from mmengine.optim import OptimWrapper

from ..registry import MODELS
from ..sharing.index_sets import IndexSet, local_free
from ..supernet.norm_statistics import preserved_norm_statistics
from ..utils.errors import ConfigError
from .base import WidthSearchAlgorithm


@MODELS.register_module()
class CafeNet(WidthSearchAlgorithm):
    """A width of ``c`` bins keeps ``c - r`` base bins on the left plus ``r`` free bins anywhere in a local zone
    of offset ``r`` (``zone_offset``) around the boundary, so channels need not be shared in one fixed order.

    Each step draws widths uniformly and ``num_placements`` placements of the free bins (tied groups share
    theirs, being one group); it scores every placement on the batch without gradients (norm statistics
    untouched) and trains the one with the lowest loss: ``min_W E_c [min_placement L]``. Bins can be
    FLOPs-sensitive (``width_space.flops_bins``).
    """

    score_reduction = 'max'

    def __init__(self, *args, zone_offset: int = 1, num_placements: int = 2, num_score_placements: int = 4,
                 **kwargs):
        super().__init__(*args, **kwargs)
        if zone_offset < 0 or num_placements < 1 or num_score_placements < 1:
            raise ConfigError(f'CafeNet needs zone_offset >= 0 and at least one placement, got zone_offset='
                              f'{zone_offset}, num_placements={num_placements}, '
                              f'num_score_placements={num_score_placements}')
        self.zone_offset = zone_offset
        self.num_placements = num_placements
        self.num_score_placements = num_score_placements

    def placements(self, widths: Dict[str, int], count: int,
                   generator: torch.Generator) -> List[Dict[str, IndexSet]]:
        """``count`` random placements of the free bins of ``widths`` (in channels, each a bin edge)."""
        return [{name: local_free(self.space.edges[name], self.space.edges[name].index(width) + 1,
                                  self.zone_offset, generator, self.space.blocks[name])
                 for name, width in widths.items()} for _ in range(count)]

    def scoring_index_sets(self, widths: Dict[str, int]) -> Dict[str, Dict[str, IndexSet]]:
        """A width scores its best placement among ``num_score_placements``, drawn from a generator seeded by
        the width itself, so that a candidate always gets the same placements."""
        generator = torch.Generator().manual_seed(hash(tuple(widths.values())) % 2**31)
        placements = self.placements(widths, self.num_score_placements, generator)
        return {f'placement{i}': placement for i, placement in enumerate(placements)}

    def train_step(self, data: Union[dict, tuple, list], optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        self.sync_sampler()
        data = self.data_preprocessor(data, True)
        widths = self.widths(self.sample_choices())
        with self.generator() as generator:
            placements = self.placements(widths, self.num_placements, generator)
        log_vars = {}
        if len(placements) > 1:
            scores = []
            with torch.no_grad(), preserved_norm_statistics(self.architecture):
                for placement in placements:
                    with self.supernet.subnet(placement):
                        scores.append(self.mean_over_ranks(self.loss_pass(data, optim_wrapper)[0]))
            best = min(range(len(scores)), key=scores.__getitem__)
            log_vars['placement_loss_gap'] = torch.tensor(max(scores) - min(scores))
            placements = [placements[best]]
        with self.supernet.subnet(placements[0]):
            loss, pass_log = self.loss_pass(data, optim_wrapper)
            optim_wrapper.backward(loss)
        optim_wrapper.step()
        optim_wrapper.zero_grad()
        log_vars.update(pass_log, **self.subnet_log(widths))
        return log_vars
