"""Dagger (arXiv 2010.15041): data-agnostic filter gating with a FLOPs-aware regulariser."""
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper

from ..latency.table import LatencyTable
from ..registry import MODELS
from ..sharing.index_sets import IndexSet
from ..space.subnet_file import kept_entries
from ..space.width_space import Subnet
from ..utils.errors import ConfigError
from .base import WidthSearchAlgorithm
from .dagger_gates import (NUM_FEATURES, ChannelGating, DaggerModule, FilterSummaries, Gates, group_gates,
                           min_positions)

PRETRAIN, GATING, FROZEN = 0, 1, 2
FLOPS_LOSSES = ('squared', 'hinge', 'log')
FLOPS_WIDTHS = ('soft', 'ste')
GATE_INPUTS = ('current', 'pretrained')


@MODELS.register_module()
class Dagger(WidthSearchAlgorithm):
    """Dagger: a Dagger module maps each searchable group's pretrained filters to one gate per channel; the
    network with its channels multiplied by the hard gates (straight-through gradients) trains on the task loss
    plus ``flops_weight * R``, ``R = log(F / F_target)^2`` (or ``(F / F_target - 1)^2``, or the hinge
    ``max(0, F / F_target - 1)^2``), where ``F`` is the width space's FLOPs form evaluated on the groups' soft
    widths (the sum of their gates), which counts every consumer's input reduction. The gates depend on the
    weights only, never on a batch.

    Phases (kept in buffers, so a resumed run continues): ``pretrain_iters`` steps of the plain network (0 when
    it starts from a pretrained model, ``load_from``); gating until the hard gates' FLOPs lie within
    ``tolerance`` of the target for ``patience`` consecutive steps; then the gates freeze, the kept channels
    are the result (:meth:`kept_index_sets`, any positions) and any further step fine-tunes that subnet.
    :class:`mmwidth.DaggerGatingHook` writes the result to the work directory.

    Args:
        flops_target: FLOPs to keep, as a fraction of the full model's (FLOPs remaining, not removed); with
            ``latency_table``, the fraction of the full model's predicted latency.
        flops_scope: count only the layers under this module prefix (e.g. a detector's ``'backbone'``).
        latency_table: a latency table of this width space (``tools/analysis/latency_table.py``): the
            regulariser and the stop rule then count the table's predicted latency (its interpolation is
            differentiable in the soft widths) instead of FLOPs; ``dict(file=..., force=True)`` for a table
            measured elsewhere.
        flops_weight: ``lambda`` of the regulariser; ramped up linearly over ``flops_warmup_iters`` gating steps.
        flops_loss: ``'log'`` (two-sided; its push in ``log F``, ``2 log r`` with ``r = F / F_target``, is
            1.7x stronger at the start of a 30% target than of a 50% one), ``'squared'`` (§5b's form; its push
            ``2 (r - 1) r`` is 3.9x stronger there, and overshoots) or ``'hinge'`` (only FLOPs above the
            target cost).
        flops_widths: ``'soft'``: the regulariser's widths are the sums of the soft gates; ``'ste'``: the hard
            counts, with the soft gates' gradient (the regulariser then sees the FLOPs the stop rule checks).
        tau / tau_end / tau_anneal_iters: temperature of the soft gates, annealed exponentially from ``tau``
            to ``tau_end`` over that many gating steps (sharper soft gates, closer to the hard ones).
        polarization: weight of ``mean(4 g (1 - g))``, which pushes the soft gates away from 0.5.
        min_ratio: every group keeps at least this fraction of its channels (at least one).
        gate_inputs: ``'pretrained'``: the Dagger module reads the weights gating starts from (summarised once);
            ``'current'``: the current weights, summarised every step (slower).
        hidden / init_logit / spread: the Dagger module's MLP width, the gates' initial logit (every group's
            offset) and the deviation of a group's logits around its offset (see :class:`DaggerModule`).
        tolerance / patience: the stop rule of gating.
    """

    def __init__(self, *args, flops_target: float = 0.5, flops_weight: float = 5.0, flops_warmup_iters: int = 0,
                 flops_loss: str = 'log', flops_widths: str = 'ste', tau: float = 1.0,
                 tau_end: float = 1.0, tau_anneal_iters: int = 0, polarization: float = 0.0,
                 min_ratio: float = 0.1, gate_inputs: str = 'pretrained', hidden: int = 64,
                 init_logit: float = 2.0, spread: float = 0.5, pretrain_iters: int = 0,
                 flops_scope: Optional[str] = None, latency_table: Union[None, str, dict] = None,
                 tolerance: float = 0.01, patience: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        for option, value, known in (('flops_loss', flops_loss, FLOPS_LOSSES),
                                     ('flops_widths', flops_widths, FLOPS_WIDTHS),
                                     ('gate_inputs', gate_inputs, GATE_INPUTS)):
            if value not in known:
                raise ConfigError(f'Dagger: {option} must be one of {known}, got "{value}"')
        if not 0 < flops_target <= 1 or tau <= 0 or tau_end <= 0 or not 0 <= min_ratio <= 1 or patience < 1:
            raise ConfigError(f'Dagger needs 0 < flops_target <= 1, tau > 0, tau_end > 0, 0 <= min_ratio <= 1 '
                              f'and patience >= 1, got flops_target={flops_target}, tau={tau}, '
                              f'tau_end={tau_end}, min_ratio={min_ratio}, patience={patience}')
        self.flops_weight, self.flops_warmup_iters = flops_weight, flops_warmup_iters
        self.flops_loss, self.flops_widths = flops_loss, flops_widths
        self.tau, self.tau_end, self.tau_anneal_iters = tau, tau_end, tau_anneal_iters
        self.polarization, self.gate_inputs = polarization, gate_inputs
        self.pretrain_iters, self.tolerance, self.patience = pretrain_iters, tolerance, patience
        self.estimator = self.space.estimator if flops_scope is None else self.space.scoped_estimator(flops_scope)
        self.full_flops = self.estimator.flops(self.space.full())
        self.latency_table = None
        if latency_table is not None:
            self.latency_table = LatencyTable.from_option(latency_table, self.space)
            if self.latency_table.record['scope'] != flops_scope:
                raise ConfigError('Dagger: the latency table was built for scope '
                                  f'{self.latency_table.record["scope"]!r}, flops_scope is {flops_scope!r}')
        self.target_flops = flops_target * self.cost(self.space.full())
        self.summaries = FilterSummaries(self.architecture, self.space)
        self.gating = ChannelGating(self.architecture, self.space)
        self.blocks = [self.space.graph.group(name).blocks for name in self.space.names]
        positions = [self.summaries.positions(name) for name in self.space.names]
        self.min_positions = [min_positions(p, min_ratio) for p in positions]
        smallest = self.cost({name: m * b for name, m, b in zip(self.space.names, self.min_positions, self.blocks)})
        if smallest > self.target_flops:
            what = 'latency' if self.latency_table else 'FLOPs'
            raise ConfigError(f'Dagger: the {what} target {self.target_flops:,.6g} is below the {smallest:,.6g} '
                              f'that min_ratio={min_ratio} keeps')
        self.dagger_module = DaggerModule(len(self.space.names), hidden, init_logit, spread)
        self.register_buffer('phase', torch.tensor(PRETRAIN if pretrain_iters > 0 else GATING))
        self.register_buffer('step', torch.tensor(0))
        self.register_buffer('gating_start', torch.tensor(0))
        self.register_buffer('within_target', torch.tensor(0))
        self.register_buffer('pretrained_features', torch.zeros(sum(positions), NUM_FEATURES))
        self.register_buffer('features_ready', torch.tensor(False))
        self.register_buffer('kept', torch.ones(sum(self.space.full().values()), dtype=torch.bool))

    # ------------------------------------------------------------------------------------------------- gates
    @property
    def frozen(self) -> bool:
        return int(self.phase) == FROZEN

    def temperature(self) -> float:
        if self.tau_anneal_iters <= 0:
            return self.tau
        done = int(self.step - self.gating_start)
        return self.tau * (self.tau_end / self.tau)**min(1.0, done / self.tau_anneal_iters)

    def features(self) -> List[torch.Tensor]:
        """The Dagger module's inputs: summaries of the current weights, or of those gating started from."""
        if self.gate_inputs == 'current':
            current = self.summaries()
            return [current[name] for name in self.space.names]
        if not bool(self.features_ready):  # the first gating step, after any pretraining or loading
            current = self.summaries()
            self.pretrained_features.copy_(torch.cat([current[name] for name in self.space.names]))
            self.features_ready.fill_(True)
        return list(self.pretrained_features.split([self.summaries.positions(n) for n in self.space.names]))

    def gates(self, features: Optional[List[torch.Tensor]] = None) -> Dict[str, Gates]:
        """Every group's gates from the weights alone (the Dagger module's and the network's); ``features``:
        the module's inputs when the caller has read them already."""
        tau = self.temperature()
        logits = self.dagger_module(self.features() if features is None else features)
        return {name: group_gates(a, tau, m, b) for name, a, m, b in
                zip(self.space.names, logits, self.min_positions, self.blocks)}

    def cost(self, widths: Subnet) -> float:
        """What the target limits: FLOPs, or the latency table's prediction (ms)."""
        return self.estimator.flops(widths) if self.latency_table is None else self.latency_table.predict(widths)

    def cost_of_tensor(self, widths: torch.Tensor) -> torch.Tensor:
        """:meth:`cost` of real-valued widths (in the order of the space's names), differentiable."""
        if self.latency_table is None:
            return self.estimator.flops_of_tensor(widths)
        return self.latency_table.predict_tensor(widths)[0]

    def hard_widths(self, gates: Dict[str, Gates]) -> Subnet:
        return {name: int(g.hard.detach().sum().round()) for name, g in gates.items()}

    def regulariser(self, gates: Dict[str, Gates]) -> Dict[str, torch.Tensor]:
        """The FLOPs-aware loss on the groups' widths (and the polarisation term when it is on)."""
        kind = 'soft' if self.flops_widths == 'soft' else 'hard'
        widths = torch.stack([getattr(gates[name], kind).sum() for name in self.space.names])
        ratio = self.cost_of_tensor(widths.double()).float() / self.target_flops
        if self.flops_loss == 'log':
            penalty = ratio.log()**2
        else:
            penalty = (ratio - 1).clamp(min=0)**2 if self.flops_loss == 'hinge' else (ratio - 1)**2
        done = int(self.step - self.gating_start) + 1
        ramp = min(1.0, done / self.flops_warmup_iters) if self.flops_warmup_iters > 0 else 1.0
        losses = dict(loss_flops=self.flops_weight * ramp * penalty)
        if self.polarization > 0:
            soft = torch.cat([g.soft for g in gates.values()])
            losses['loss_polarization'] = self.polarization * (4 * soft * (1 - soft)).mean()
        return losses

    def kept_index_sets(self) -> Dict[str, IndexSet]:
        """The channels the frozen gates keep, per group (``None``: all of them)."""
        index_sets = {}
        for name, mask in zip(self.space.names, self.kept.split(list(self.space.full().values()))):
            index_sets[name] = None if bool(mask.all()) else mask.nonzero().flatten().cpu()
        return index_sets

    def subnet_entries(self) -> Dict[str, dict]:
        """The result as subnet-file entries: ``{"channels": k, "indices": [...]}`` per group."""
        return kept_entries(self.kept_index_sets(), self.space.full())

    def kept_flops(self) -> int:
        return self.estimator.flops({name: entry['channels'] for name, entry in self.subnet_entries().items()})

    # ---------------------------------------------------------------------------------------------- forward
    def forward(self, inputs: torch.Tensor, data_samples=None, mode: str = 'tensor'):
        """The gated network while gating; the frozen subnet after it; the plain network before it or when a
        subnet is active on the supernet (an export or a recalibration selects the channels itself)."""
        phase = int(self.phase)
        if self.supernet.active is not None or phase == PRETRAIN:
            return self.architecture(inputs, data_samples, mode)
        if phase == FROZEN:
            with self.supernet.subnet(self.kept_index_sets()):
                return self.architecture(inputs, data_samples, mode)
        with torch.set_grad_enabled(torch.is_grad_enabled() and self.training):
            gates = self.gates()
        with self.gating.applied({name: g.hard for name, g in gates.items()}):
            outputs = self.architecture(inputs, data_samples, mode)
        if mode == 'loss':
            outputs.update(self.regulariser(gates))
        return outputs

    def train_step(self, data: Union[dict, tuple, list], optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        data = self.data_preprocessor(data, True)
        loss, log_vars = self.loss_pass(data, optim_wrapper)
        optim_wrapper.update_params(loss)
        self.step += 1
        phase = int(self.phase)
        if phase == PRETRAIN and int(self.step) >= self.pretrain_iters:
            self.start_gating()
        elif phase == GATING:
            features = self.features()  # read once for both (with gate_inputs='current': every weight)
            # at the edge, the nearest logit is 2 tau from 0: sigmoid' there is a tenth of its peak
            self.dagger_module.bound_offsets(features, 2 * self.temperature())
            log_vars.update(self.check_target(features))
        log_vars['dagger_phase'] = torch.tensor(float(phase))
        return log_vars

    @torch.no_grad()
    def start_gating(self) -> None:
        self.phase.fill_(GATING)
        self.gating_start.copy_(self.step)

    @torch.no_grad()
    def check_target(self, features: List[torch.Tensor]) -> Dict[str, torch.Tensor]:
        """After an update: the hard gates' FLOPs; freezes them once within the tolerance long enough."""
        gates = self.gates(features)
        widths = self.hard_widths(gates)
        ratio = self.cost(widths) / self.target_flops
        within = abs(ratio - 1) <= self.tolerance
        self.within_target.copy_(self.within_target + 1 if within else torch.zeros_like(self.within_target))
        if int(self.within_target) >= self.patience:
            self.kept.copy_(torch.cat([g.hard > 0.5 for g in gates.values()]))
            self.phase.fill_(FROZEN)
        return dict(flops_to_target=torch.tensor(ratio), tau=torch.tensor(self.temperature()),
                    subnet_mflops=torch.tensor(self.estimator.flops(widths) / 1e6))

    def val_step(self, data: Union[dict, tuple, list]) -> list:
        return BaseModel.val_step(self, data)

    def test_step(self, data: Union[dict, tuple, list]) -> list:
        return BaseModel.test_step(self, data)
