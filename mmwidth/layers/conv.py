"""Convolutions: plain, grouped, depthwise and transposed (``_ConvNd`` and its subclasses, e.g. mmcv's)."""
from typing import Any, Dict, Optional, Sequence

import numpy as np
import torch
from torch.nn.modules.conv import _ConvNd

from ..registry import CHANNEL_LAYERS
from ..sharing.index_sets import IndexSet, block_positions, width_of
from ..space.channel_graph import Layer, Segment
from ..space.trace_values import TracedTensor
from ..supernet.dynamic_layers import take, take_weight
from .base import ChannelLayer, DynamicLayerMixin, add_pair_costs, row_statistics, weight_summary


def conv_weight(weight: torch.Tensor, in_index: IndexSet, out_index: IndexSet, groups: int, transposed: bool,
                depthwise: bool) -> torch.Tensor:
    """The part of a conv's full ``weight`` (out x in-per-group, or in x out-per-group when ``transposed``)
    that maps the channels ``in_index`` to ``out_index``. The per-group dimension is indexed by the positions
    inside one group, which are the same in every group; a depthwise conv's channels are its ``out_index``."""
    if depthwise:
        return take(weight, 0, out_index)
    if transposed:
        return take_weight(weight, in_index, block_positions(out_index, groups), contiguous=True)
    return take_weight(weight, out_index, block_positions(in_index, groups), contiguous=True)


class DynamicConvMixin(DynamicLayerMixin):
    """A conv reading its weight, bias and (depthwise) ``groups`` through the active index sets."""
    mmwidth_depthwise: bool = False

    @property
    def weight(self) -> torch.Tensor:
        return conv_weight(self._parameters['weight'], self.mmwidth_in, self.mmwidth_out, self.__dict__['groups'],
                           self.transposed, self.mmwidth_depthwise)

    @property
    def bias(self) -> Optional[torch.Tensor]:
        return take(self._parameters['bias'], 0, self.mmwidth_out)

    @property
    def groups(self) -> int:
        if self.mmwidth_depthwise and self.mmwidth_out is not None:
            return width_of(self.mmwidth_out, self.__dict__['groups'])
        return self.__dict__['groups']

    @groups.setter
    def groups(self, value: int) -> None:
        self.__dict__['groups'] = value


@CHANNEL_LAYERS.register_module(name='conv')
class ConvLayer(ChannelLayer):
    """A conv starts a new group; a grouped one (``groups`` g) splits its input and its output into g blocks
    (same positions kept in every block); a depthwise one passes its input's channels on. MACs run over the
    output positions, a transposed conv's over its input positions; its weight is in x out-per-group."""
    kind = 'conv'
    module_types = (_ConvNd, )
    dynamic_mixin = DynamicConvMixin

    def trace(self, trace: Any, name: str, conv: _ConvNd, x: TracedTensor, meta: Any,
              inputs: tuple) -> TracedTensor:
        """Its input channels are dim 1: channels traced along another dim (moved there by a permute, as after
        OCRNet's gathering matmul) are a spatial dim of the conv, whose MACs depend on their number."""
        if x.channel_dim != 1:
            trace.groups.fix(x.layout, f'read as a spatial dimension by conv {name}')
            x = trace.groups.untraced_channels(x, 1, name)
        out_shape = meta.shape
        spatial = int(torch.Size((x.shape if conv.transposed else out_shape)[2:]).numel())
        kernel = int(torch.Size(conv.kernel_size).numel())
        common = dict(macs_coef=spatial * kernel, weight_per_pair=kernel, has_bias=conv.bias is not None,
                      transposed=conv.transposed, conv_groups=conv.groups)
        if conv.groups > 1 and conv.groups == conv.in_channels == conv.out_channels:
            trace.record(name, Layer(name, self.kind, x.layout, depthwise=True, **common))
            return TracedTensor(out_shape, x.layout)
        out = trace.output_group(name, conv.out_channels)
        trace.groups.split_blocks(x.layout, conv.groups, f'grouped conv {name}')
        trace.groups.split_blocks((Segment(out), ), conv.groups, f'grouped conv {name}')
        trace.record(name, Layer(name, self.kind, x.layout, output=out, **common))
        return TracedTensor(out_shape, (Segment(out), ))

    def attach(self, conv: _ConvNd, layer: Layer) -> None:
        conv.mmwidth_depthwise = layer.depthwise

    def role(self, layer: Layer) -> str:
        return 'depthwise' if layer.depthwise else 'in'

    def summarised_input(self, layer: Layer) -> bool:
        return layer.depthwise or layer.conv_groups == 1

    def slice(self, conv: _ConvNd, layer: Layer, in_index: IndexSet,
              out_index: IndexSet) -> Dict[str, Optional[torch.Tensor]]:
        return dict(weight=conv_weight(conv.weight, in_index, out_index, conv.groups, conv.transposed,
                                       layer.depthwise), bias=take(conv.bias, 0, out_index))

    def shapes(self, conv: _ConvNd, layer: Layer, inputs: int, outputs: Optional[int]) -> Dict[str, tuple]:
        if layer.depthwise:
            return dict(weight=(inputs, ) + tuple(conv.weight.shape[1:]), bias=(inputs, ))
        pair = (inputs, outputs // conv.groups) if conv.transposed else (outputs, inputs // conv.groups)
        return dict(weight=pair + tuple(conv.weight.shape[2:]), bias=(outputs, ))

    def set_channels(self, conv: _ConvNd, layer: Layer, channels: int) -> None:
        whole, per_group = ('in_channels', 'out_channels') if conv.transposed else ('out_channels', 'in_channels')
        setattr(conv, whole, conv.weight.shape[0])
        if layer.depthwise:
            conv.groups = conv.weight.shape[0]
            setattr(conv, per_group, conv.weight.shape[0])
        else:
            setattr(conv, per_group, conv.weight.shape[1] * conv.groups)

    def add_costs(self, layer: Layer, blocks: Sequence[int], macs: np.ndarray, params: np.ndarray) -> None:
        """out x in / groups MACs and weights per kernel element (a depthwise conv: per channel), a bias per
        output channel."""
        if not layer.depthwise:
            add_pair_costs(layer, blocks, macs, params, layer.conv_groups)
            return
        for seg in layer.inputs:
            col, per_col = seg.group + 1, seg.factor * blocks[seg.group]
            macs[0, col] += layer.macs_coef * per_col
            params[0, col] += (layer.weight_per_pair + int(layer.has_bias)) * per_col

    def count_macs(self, conv: _ConvNd, inputs: tuple, output: torch.Tensor) -> int:
        """An output element sums in_channels / groups x kernel area products; a transposed conv's input element
        is spread over out_channels / groups x kernel area outputs."""
        driving = inputs[0] if conv.transposed else output
        return driving[0].numel() * conv.weight[0].numel()

    def summary(self, conv: _ConvNd, layer: Layer, role: str, span: slice, channels: int) -> torch.Tensor:
        weight = conv._parameters['weight']
        if layer.transposed:  # stored as in x out-per-group
            weight = weight.transpose(0, 1)
        if role == 'depthwise':
            return row_statistics(weight[span].flatten(1))
        return weight_summary(weight, role, span, channels)
