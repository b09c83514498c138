"""mmcv's modulated deformable conv (DCNv2: ``ModulatedDeformConv2d`` and ``ModulatedDeformConv2dPack``, which
mmdet's ``dcn=dict(type='DCNv2')`` backbones build) taught to mmwidth as one layer family, registered in
``mmwidth.registry.CHANNEL_LAYERS``. Importing this file (a config's ``custom_imports``) is all it takes: the tracer,
the dynamic supernet, the export, resizing, the FLOPs/params estimator, the counter and Dagger ask the family.

A deformable conv maps its input channels to its output channels like a conv (its weight is out x in-per-group
x kernel, its MACs out x in / groups x kernel area per output position; sampling the offsets is not counted, as
for every op outside conv, linear and attention layers). The Pack's ``conv_offset`` reads the same input channels
and writes the offsets and masks (``3 x deform_groups x kernel area`` channels), which keep their number, as do
the offsets and masks a plain ``ModulatedDeformConv2d`` is given.
"""
from types import SimpleNamespace
from typing import Any, Dict, Optional, Sequence

import numpy as np
import torch
from mmcv.ops import ModulatedDeformConv2d

from mmwidth.layers import ChannelLayer, DynamicLayerMixin, layer_type
from mmwidth.layers.base import add_pair_costs, weight_summary
from mmwidth.layers.conv import conv_weight
from mmwidth.registry import CHANNEL_LAYERS
from mmwidth.sharing.index_sets import IndexSet
from mmwidth.space.channel_graph import Layer, Segment
from mmwidth.space.trace_values import TracedTensor
from mmwidth.supernet.dynamic_layers import take


class DynamicModulatedDeformConvMixin(DynamicLayerMixin):
    """The weight and bias of the active channels (what ``modulated_deform_conv2d`` is called with)."""

    @property
    def weight(self) -> torch.Tensor:
        return conv_weight(self._parameters['weight'], self.mmwidth_in, self.mmwidth_out, self.groups,
                           transposed=False, depthwise=False)

    @property
    def bias(self) -> Optional[torch.Tensor]:
        return take(self._parameters['bias'], 0, self.mmwidth_out)


@CHANNEL_LAYERS.register_module(name='modulated_deform_conv')
class ModulatedDeformConvLayer(ChannelLayer):
    kind = 'modulated_deform_conv'
    module_types = (ModulatedDeformConv2d, )
    dynamic_mixin = DynamicModulatedDeformConvMixin

    def trace(self, trace: Any, name: str, dcn: ModulatedDeformConv2d, x: TracedTensor, meta: Any,
              inputs: tuple) -> TracedTensor:
        if x.channel_dim != 1:
            trace.groups.fix(x.layout, f'read as a spatial dimension by {name}')
            x = trace.groups.untraced_channels(x, 1, name)
        kernel = int(torch.Size(dcn.kernel_size).numel())
        out = trace.output_group(name, dcn.out_channels)
        trace.groups.split_blocks(x.layout, dcn.groups, f'grouped deformable conv {name}')
        trace.groups.split_blocks((Segment(out), ), dcn.groups, f'grouped deformable conv {name}')
        trace.record(name, Layer(name, self.kind, x.layout, output=out, conv_groups=dcn.groups,
                                 macs_coef=int(meta.shape[2:].numel()) * kernel, weight_per_pair=kernel,
                                 has_bias=dcn.bias is not None))
        for given in inputs[1:]:  # offsets and masks computed outside (a plain ModulatedDeformConv2d)
            if isinstance(given, TracedTensor):
                trace.groups.fix(given.layout, f'offsets and masks of the deformable conv {name}')
        offset = getattr(dcn, 'conv_offset', None)
        if offset is not None:  # the Pack's: a plain conv on the same input, over the same output positions
            offsets = layer_type('conv').trace(trace, f'{name}.conv_offset', offset, x, SimpleNamespace(
                shape=torch.Size((1, offset.out_channels) + tuple(meta.shape[2:]))), inputs)
            trace.groups.fix(offsets.layout, f'offsets and masks of the deformable conv {name}')
        return TracedTensor(meta.shape, (Segment(out), ))

    def slice(self, dcn: ModulatedDeformConv2d, layer: Layer, in_index: IndexSet,
              out_index: IndexSet) -> Dict[str, Optional[torch.Tensor]]:
        return dict(weight=conv_weight(dcn.weight, in_index, out_index, dcn.groups, False, False),
                    bias=take(dcn.bias, 0, out_index))

    def shapes(self, dcn: ModulatedDeformConv2d, layer: Layer, inputs: int,
               outputs: Optional[int]) -> Dict[str, tuple]:
        return dict(weight=(outputs, inputs // dcn.groups) + tuple(dcn.weight.shape[2:]), bias=(outputs, ))

    def set_channels(self, dcn: ModulatedDeformConv2d, layer: Layer, channels: int) -> None:
        dcn.out_channels = dcn.weight.shape[0]
        dcn.in_channels = dcn.weight.shape[1] * dcn.groups

    def reset(self, dcn: ModulatedDeformConv2d, layer: Layer) -> None:
        dcn.init_weights()

    def add_costs(self, layer: Layer, blocks: Sequence[int], macs: np.ndarray, params: np.ndarray) -> None:
        add_pair_costs(layer, blocks, macs, params, layer.conv_groups)

    def count_macs(self, dcn: ModulatedDeformConv2d, inputs: tuple, output: torch.Tensor) -> int:
        return output[0].numel() * dcn.weight[0].numel()

    def summary(self, dcn: ModulatedDeformConv2d, layer: Layer, role: str, span: slice,
                channels: int) -> torch.Tensor:
        return weight_summary(dcn._parameters['weight'], role, span, channels)
