"""Linear layers (``nn.Linear`` and its subclasses), which map the last dimension of their input."""
from typing import Any, Dict, Optional, Sequence

import numpy as np
import torch
from torch import nn

from ..registry import CHANNEL_LAYERS
from ..sharing.index_sets import IndexSet
from ..space.channel_graph import Layer, Segment
from ..space.trace_values import TracedTensor
from ..supernet.dynamic_layers import take, take_weight
from .base import ChannelsLastLayer, DynamicLayerMixin, add_pair_costs, weight_summary


class DynamicLinearMixin(DynamicLayerMixin):
    """A linear layer reading its weight and bias through the active index sets (views where slices allow)."""

    @property
    def weight(self) -> torch.Tensor:
        return take_weight(self._parameters['weight'], self.mmwidth_out, self.mmwidth_in, contiguous=False)

    @property
    def bias(self) -> Optional[torch.Tensor]:
        return take(self._parameters['bias'], 0, self.mmwidth_out)


@CHANNEL_LAYERS.register_module(name='linear')
class LinearLayer(ChannelsLastLayer):
    """A linear layer maps the last dimension: the channels when they lie there (after a flatten, or
    channels-last after a permute: every other position is a token that multiplies its MACs); otherwise it
    mixes another dimension and both its widths and the channels' are kept."""
    kind = 'linear'
    module_types = (nn.Linear, )
    dynamic_mixin = DynamicLinearMixin

    def trace(self, trace: Any, name: str, linear: nn.Linear, x: TracedTensor, meta: Any,
              inputs: tuple) -> TracedTensor:
        last = len(x.shape) - 1
        # every position but the last dim's: the trace runs a batch of one, so dim 0 holds only what a model folds
        # into the batch (a Swin block's windows)
        tokens = int(torch.Size(x.shape[:-1]).numel())
        common = dict(macs_coef=tokens, weight_per_pair=1, has_bias=linear.bias is not None)
        if x.channel_dim == last:
            out = trace.output_group(name, linear.out_features)
            trace.record(name, Layer(name, self.kind, x.layout, output=out, channels_last=True, **common))
            return TracedTensor(meta.shape, (Segment(out), ), last)
        reason = f'mixed along another dimension by linear {name}'
        trace.groups.fix(x.layout, reason)
        inputs = trace.groups.fresh_layout(torch.Size([1, linear.in_features]), reason)
        out = trace.output_group(name, linear.out_features, fixed=reason)
        trace.record(name, Layer(name, self.kind, inputs, output=out, **common))
        return TracedTensor(meta.shape, x.layout, x.channel_dim)

    def slice(self, linear: nn.Linear, layer: Layer, in_index: IndexSet,
              out_index: IndexSet) -> Dict[str, Optional[torch.Tensor]]:
        return dict(weight=take(take(linear.weight, 0, out_index), 1, in_index), bias=take(linear.bias, 0, out_index))

    def shapes(self, linear: nn.Linear, layer: Layer, inputs: int, outputs: Optional[int]) -> Dict[str, tuple]:
        return dict(weight=(outputs, inputs), bias=(outputs, ))

    def set_channels(self, linear: nn.Linear, layer: Layer, channels: int) -> None:
        linear.out_features, linear.in_features = linear.weight.shape

    def add_costs(self, layer: Layer, blocks: Sequence[int], macs: np.ndarray, params: np.ndarray) -> None:
        """out x in MACs per token and weights, a bias per output feature."""
        add_pair_costs(layer, blocks, macs, params)

    def count_macs(self, linear: nn.Linear, inputs: tuple, output: torch.Tensor) -> int:
        """in_features products per output element (of a batch of one: windows folded into it count)."""
        return output.numel() * linear.weight.shape[1]

    def summary(self, linear: nn.Linear, layer: Layer, role: str, span: slice, channels: int) -> torch.Tensor:
        return weight_summary(linear._parameters['weight'], role, span, channels)
