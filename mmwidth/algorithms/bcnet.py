"""BCNet (CVPR 2021) and BCNetV2 (TPAMI 2022): bilaterally coupled width supernets."""
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.optim import OptimWrapper
from torch import nn

from ..registry import MODELS
from ..sharing.index_sets import IndexSet
from ..space.width_space import Subnet, WidthSpace
from ..supernet.resize import resize_layers
from ..utils.errors import ConfigError
from .base import WidthSearchAlgorithm

SIDES = ('left', 'right')


@MODELS.register_module()
class BCNet(WidthSearchAlgorithm):
    """Bilaterally coupled network: width ``c`` is trained (and scored) as both its leftmost and its rightmost
    ``c`` channels, the side chosen for the whole network, so that every channel serves as many widths.

    Each step: forward the left subnet, backward 0.5 x its loss; forward the right subnet, backward 0.5 x its
    loss; one optimizer step. With ``complementary`` steps, a random width is followed by its complement, the
    left channels that the right path left out and vice versa (``C - k`` channels), so that one pair trains every
    channel of a group equally often. The full width has no complement (it would be empty): both its paths
    already cover every channel, so it is its own complement. Every channel of a group is then trained exactly
    as often as the others after each pair, and every channel of the network equally often in expectation.

    The all-reduced loss of each step is recorded for the prior of the evolutionary search: per group and width
    choice, the ``loss_record_size`` lowest losses of the steps that used it.
    """

    # pending: drawn from the synchronised sampler; loss_records: of losses averaged over the ranks
    bookkeeping_buffers = ('sampler_state', 'pending', 'loss_records')

    def __init__(self, *args, complementary: bool = True, loss_record_size: int = 100, **kwargs):
        super().__init__(*args, **kwargs)
        self.complementary = complementary
        num_choices = max(len(choices) for choices in self.space.choices.values())
        self.register_buffer('pending', torch.full((len(self.space.names), ), -1, dtype=torch.long))
        self.register_buffer('loss_records',
                             torch.full((len(self.space.names), num_choices, loss_record_size), float('inf')))

    def next_widths(self) -> Subnet:
        """The pending complement if there is one, else a fresh uniform sample (whose complement is queued)."""
        if self.complementary and bool((self.pending >= 0).all()):
            widths = dict(zip(self.space.names, self.pending.tolist()))
            self.pending.fill_(-1)
            return widths
        widths = self.widths(self.sample_choices())
        if self.complementary:
            self.pending.copy_(torch.tensor([self.complement(name, w) for name, w in widths.items()],
                                            device=self.pending.device))
        return widths

    def scoring_index_sets(self, widths: Subnet) -> Dict[str, Dict[str, IndexSet]]:
        """A width scores the mean of its left and its right subnet."""
        return {side: self.index_sets(widths, side) for side in SIDES}

    def complement(self, name: str, width: int) -> int:
        full = self.space.channels(name)
        return full if width >= full else full - width

    def train_step(self, data: Union[dict, tuple, list], optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        self.sync_sampler()
        data = self.data_preprocessor(data, True)
        widths = self.next_widths()
        log_vars, losses = {}, []
        for number, side in enumerate(SIDES):
            with self.supernet.subnet(self.index_sets(widths, side)), self.gradient_sync(number == len(SIDES) - 1):
                loss, side_log = self.loss_pass(data, optim_wrapper)
                optim_wrapper.backward(0.5 * loss)
            losses.append(loss.detach())
            log_vars.update({f'{side}_{key}': value for key, value in side_log.items()})
        optim_wrapper.step()
        optim_wrapper.zero_grad()
        mean_loss = self.mean_over_ranks(sum(losses) / len(losses))
        self.record_loss(widths, mean_loss)
        log_vars.update(loss=torch.tensor(mean_loss), **self.subnet_log(widths))
        return log_vars

    # --------------------------------------------------------------------------------------------- loss records
    def choice_indices(self, widths: Subnet) -> List[int]:
        """Each width's choice index (the nearest choice for complements that fall between two)."""
        return [int(np.abs(np.array(self.space.choices[name]) - widths[name]).argmin()) for name in self.space.names]

    def record_loss(self, widths: Subnet, loss: float) -> None:
        device = self.loss_records.device
        rows = torch.arange(len(self.space.names), device=device)
        choices = torch.tensor(self.choice_indices(widths), device=device)
        records = self.loss_records[rows, choices]
        worst, slot = records.max(dim=1)
        replace = worst > loss
        records[replace, slot[replace]] = loss
        self.loss_records[rows, choices] = records

    def recorded_losses(self) -> np.ndarray:
        """``E[group, choice]``: the mean of the recorded lowest losses (NaN where a choice was never trained)."""
        records = self.loss_records.cpu().numpy()
        finite = np.isfinite(records)
        with np.errstate(invalid='ignore'):
            return np.where(finite, records, 0).sum(-1) / finite.sum(-1)


@MODELS.register_module()
class BCNetV2(BCNet):
    """BCNetV2: BCNet with a minimum width of ``min_bins`` bins and an enhanced (widened) supernet.

    Every searchable group of ``C`` channels and ``N`` bins (``width_space.bins``; bin ``c`` ends at
    ``e_c = ceil(c * C / N)``) is widened by ``m = min_bins`` bins to ``C + e_m`` channels: its first ``N`` bin
    edges are the base network's, the ``m`` extra bins lie beyond channel ``C`` (sized as its first ``m``).
    Widths are drawn from ``[m, N]`` bins, i.e. the base network's own widths ``e_c``: the largest is ``C``, and
    an exported subnet never has more channels than the base network. The left path of width ``w`` uses the
    first ``w`` channels, the right path the last ``w``; the complement of ``w`` is ``C + e_m - w``, so a
    complementary pair trains every channel of the widened group exactly twice: channel fairness is exact.

    ``width_space`` stays the base network's options (the exported architecture's); the widened layout is this
    algorithm's, see :meth:`space_at`.
    """

    def __init__(self, architecture: Union[dict, nn.Module], width_space: dict, min_bins: int = 2,
                 **kwargs):
        bins = width_space.get('bins')
        if not bins or not 1 <= min_bins < bins:
            raise ConfigError(f'BCNetV2 needs width_space.bins=N and 1 <= min_bins < N, got bins={bins}, '
                              f'min_bins={min_bins}')
        clashing = [key for key in ('min_bins', 'max_bins', 'ratios', 'flops_bins') if width_space.get(key) is not None]
        clashing += ['divisor'] if width_space.get('divisor', 1) != 1 else []
        if clashing:
            raise ConfigError(f'BCNetV2 counts widths in the N bins of width_space.bins (and its own min_bins); '
                              f'drop width_space option(s) {clashing}')
        self.min_bins = min_bins
        super().__init__(architecture, width_space, **kwargs)

    def build_space(self) -> WidthSpace:
        bins, extra = self.space_cfg['bins'], self.min_bins
        base = WidthSpace.from_config(self.architecture, dict(self.space_cfg, min_bins=extra))
        self._widened_edges = {name: edges + [edges[-1] + e for e in edges[:extra]]
                              for name, edges in base.edges.items()}
        # the widened space keeps the base network's choices, also where a group was fixed at a width
        self._widened_options = dict(self.space_cfg, min_bins=extra, max_bins=bins,
                                     fix={name: choices[0] for name, choices in base.choices.items()
                                          if len(choices) == 1})
        resize_layers(self.architecture, base.graph,
                      {base.graph.index[name]: edges[-1] for name, edges in self._widened_edges.items()})
        return self.space_at()

    def space_at(self, input_shape: Optional[Sequence[int]] = None) -> WidthSpace:
        return WidthSpace.from_config(self.architecture, self._widened_options, input_shape, self._widened_edges)

    def complement(self, name: str, width: int) -> int:
        return self.space.channels(name) - width
