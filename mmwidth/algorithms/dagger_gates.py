"""The parts of Dagger that turn weights into channel gates: per-channel filter summaries of every searchable
group, the Dagger module (summaries -> one gate per channel), and the hooks that multiply a network's channels
by their gates."""
import math
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Tuple

import torch
from torch import nn

from ..layers import layer_type
from ..layers.base import output_segments
from ..space.channel_graph import Layer
from ..space.width_space import WidthSpace

# Per-channel statistics of each kind of member layer: a producer's filter (output row), a consumer's input
# column, a depthwise filter (4 each: mean |w|, RMS, mean, std) and a norm's scale and shift (|gamma|, beta).
ROLE_FEATURES = {'out': 4, 'in': 4, 'depthwise': 4, 'norm': 2}
ROLES = tuple(ROLE_FEATURES)
NUM_FEATURES = sum(ROLE_FEATURES.values())


@dataclass(frozen=True)
class Member:
    """Where a group's channels lie in one layer's weights: ``offset`` into the layer's input channels
    (``factor`` features per channel after a flatten), for the roles that read input channels."""
    layer: Layer
    role: str
    offset: int = 0
    factor: int = 1


class FilterSummaries:
    """Per-channel summaries of the weights of every searchable group: for each channel, the statistics of its
    filters in all member layers (averaged over the members of each role, so that tied groups such as residual
    streams, with many members, get vectors of the same length), standardised over the group's channels.

    A group split into blocks (grouped convs) gets one summary per position in a block, averaged over blocks.
    The summaries read the weights and nothing else: the gates never depend on a batch.
    """

    def __init__(self, model: nn.Module, space: WidthSpace):
        self.model = model
        self.space = space
        searchable = {space.graph.index[name]: name for name in space.names}
        self.members: Dict[str, List[Member]] = {name: [] for name in space.names}
        for layer in space.graph.layers:
            family = layer_type(layer.kind)
            if layer.output in searchable:
                self.members[searchable[layer.output]].append(Member(layer, 'out'))
            offset = 0
            for seg in layer.inputs:
                if seg.group in searchable and family.summarised_input(layer):
                    self.members[searchable[seg.group]].append(Member(layer, family.role(layer), offset, seg.factor))
                offset += space.graph.groups[seg.group].channels * seg.factor

    def positions(self, name: str) -> int:
        """Gates of a group: one per channel position in a block."""
        group = self.space.graph.group(name)
        return group.channels // group.blocks

    @torch.no_grad()
    def __call__(self) -> Dict[str, torch.Tensor]:
        """``{group: (positions, NUM_FEATURES)}`` from the model's current weights."""
        return {name: self._group(name) for name in self.space.names}

    def _group(self, name: str) -> torch.Tensor:
        group = self.space.graph.group(name)
        per_role: Dict[str, List[torch.Tensor]] = {role: [] for role in ROLES}
        for member in self.members[name]:
            per_role[member.role].append(self._member(member, group.channels))
        like = next(iter(self.model.parameters()))
        parts = [torch.stack(found).mean(0) if found else like.new_zeros(group.channels, ROLE_FEATURES[role])
                 for role, found in per_role.items()]
        features = torch.cat(parts, dim=1).float()
        features = features.view(group.blocks, -1, features.shape[1]).mean(0)
        return (features - features.mean(0)) / (features.std(0, unbiased=False) + 1e-8)

    def _member(self, member: Member, channels: int) -> torch.Tensor:
        module = self.model.get_submodule(member.layer.name)
        span = slice(member.offset, member.offset + channels * member.factor)
        return layer_type(member.layer.kind).summary(module, member.layer, member.role, span, channels)


# The summaries the Dagger module's linear path starts from: the RMS of a channel's filters and its norm's
# |gamma|, i.e. the magnitude criteria of classic filter pruning.
MAGNITUDE_FEATURES = (1, NUM_FEATURES - 2)


class DaggerModule(nn.Module):
    """Maps each channel's filter summary to a gate logit: a small MLP plus a linear path, shared by all
    groups, gives each channel a score; a group's logits are its learned offset plus ``spread`` times its
    scores standardised over the group's channels.

    The split keeps the two questions apart: the scores rank a group's channels (which to keep), the offset
    sets how many pass 0 (the width the FLOPs regulariser moves). Because the spread is fixed, the logits of a
    group always straddle its offset, so the channels near the threshold keep a soft-gate gradient: a large
    step cannot push every logit so far from 0 that the sigmoid saturates and closed gates never reopen (seen
    with free-scale logits: a 30% target fell to 0.47 of it in one step and stalled at 0.88).

    The MLP's last layer starts at zero and the linear path at the sum of the standardised magnitude features,
    so the gates start at ``init_logit`` ranked by filter magnitude: the gated network begins as the
    pretrained one, the regulariser removes the weakest filters first, and the task loss teaches the module
    which channels matter.
    """

    def __init__(self, num_groups: int, hidden: int = 64, init_logit: float = 2.0, spread: float = 0.5):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(NUM_FEATURES, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, 1))
        nn.init.zeros_(self.mlp[2].weight)
        nn.init.zeros_(self.mlp[2].bias)
        self.linear = nn.Linear(NUM_FEATURES, 1, bias=False)
        with torch.no_grad():
            self.linear.weight.zero_()
            self.linear.weight[0, list(MAGNITUDE_FEATURES)] = 1.0
        self.group_logit = nn.Parameter(torch.full((num_groups, ), float(init_logit)))
        self.spread = spread

    def forward(self, features: List[torch.Tensor]) -> List[torch.Tensor]:
        """Logits of every group's channel positions, in the order of ``features``."""
        return [offset + self.spread * z for offset, z in zip(self.group_logit, self.standardised_scores(features))]

    def standardised_scores(self, features: List[torch.Tensor]) -> List[torch.Tensor]:
        sizes = [len(f) for f in features]
        rows = torch.cat(features).to(self.group_logit)
        scores = (self.mlp(rows) + self.linear(rows)).squeeze(-1)
        return [_standardised(part) for part in scores.split(sizes)]

    @torch.no_grad()
    def bound_offsets(self, features: List[torch.Tensor], margin: float) -> None:
        """Projects every offset back to where its group's logits reach to within ``margin`` of 0 on both
        sides: the width's full range (all channels open or all closed) stays reachable, and the channel
        nearest the threshold keeps a soft-gate gradient however far one step (a strong regulariser far from
        the target) pushes."""
        for offset, z in zip(self.group_logit, self.standardised_scores(features)):
            offset.clamp_(-self.spread * z.max() - margin, -self.spread * z.min() + margin)


def _standardised(scores: torch.Tensor) -> torch.Tensor:
    """Zero mean and unit deviation over a group's channels (a single channel: zero, keeping its gradient)."""
    if len(scores) < 2:
        return scores - scores.detach()
    return (scores - scores.mean()) / (scores.std(unbiased=False) + 1e-6)


@dataclass
class Gates:
    """One group's gates: the soft gates ``sigmoid(a / tau)`` and the hard 0/1 gates with a straight-through
    gradient (forward: the hard value; backward: the soft gate's), both over every channel of the group."""
    soft: torch.Tensor
    hard: torch.Tensor


def group_gates(logits: torch.Tensor, tau: float, min_positions: int, blocks: int) -> Gates:
    """Gates of one group from the logits of its positions: hard gate 1 where ``a > 0`` and for the
    ``min_positions`` largest logits (no group collapses), repeated over the group's blocks."""
    soft = torch.sigmoid(logits / tau)
    keep = logits > 0
    keep[logits.topk(min_positions).indices] = True
    hard = keep.to(soft) + soft - soft.detach()
    return Gates(soft.repeat(blocks), hard.repeat(blocks))


def min_positions(positions: int, min_ratio: float) -> int:
    return max(1, math.ceil(min_ratio * positions - 1e-9))


class ChannelGating:
    """Multiplies the output channels of every layer that produces a searchable group's channels (its
    producers, norms and depthwise convs) by the group's gate vector, so that a gated-off channel is zero
    wherever the group's tensors go (after residual adds too) and removing it changes nothing downstream.

    The hooks live only inside :meth:`applied`: a copy of the model made outside it (an export) is plain.
    """

    def __init__(self, model: nn.Module, space: WidthSpace):
        self.model = model
        graph = space.graph
        names = {graph.index[name]: name for name in space.names}
        # (layer, the groups of its output channels with their sizes, whether its channels are its last dim)
        self.outputs: List[Tuple[Layer, List[Tuple[Optional[str], int]]]] = []
        for layer in graph.layers:
            parts = [(names.get(seg.group), graph.groups[seg.group].channels) for seg in output_segments(layer)]
            if any(name is not None for name, _ in parts) and layer_type(layer.kind).gates_output:
                self.outputs.append((layer, parts))

    @contextmanager
    def applied(self, gates: Dict[str, torch.Tensor]) -> Iterator[None]:
        """Gates ``{group: (channels, )}`` on the model's outputs for the duration of the block."""
        handles = []
        for layer, parts in self.outputs:
            like = next(iter(gates.values()))
            vector = torch.cat([gates[name] if name is not None else like.new_ones(channels)
                                for name, channels in parts])
            module = self.model.get_submodule(layer.name)
            handles.append(module.register_forward_hook(
                _multiplier(layer_type(layer.kind).output_gate(layer, vector), layer.channels_last)))
        try:
            yield
        finally:
            for handle in handles:
                handle.remove()


def _multiplier(vector: torch.Tensor, channels_last: bool):
    """A forward hook gating a layer's output channels (the first output of a layer with several: an
    attention's, beside its weights)."""
    def gate(output: torch.Tensor) -> torch.Tensor:
        if channels_last:
            return output * vector
        return output * vector.view((1, -1) + (1, ) * (output.dim() - 2))

    def hook(module, args, output):
        if isinstance(output, tuple):
            return (gate(output[0]), ) + output[1:]
        return gate(output)
    return hook
