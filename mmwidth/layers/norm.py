"""Norm layers: batch, group and layer norms over the channels follow their width; the norms that cannot
(instance and local response norms, and group or layer norms over other dims) fix the channels they touch."""
from typing import Any, Dict, Optional, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from ..registry import CHANNEL_LAYERS
from ..sharing.index_sets import IndexSet, width_of
from ..space.channel_graph import Layer
from ..space.trace_values import TracedTensor
from ..supernet.dynamic_layers import take
from .base import ChannelLayer, DynamicLayerMixin

TENSOR_NAMES = ('weight', 'bias', 'running_mean', 'running_var')


class DynamicNormMixin(DynamicLayerMixin):
    """A norm's weight and bias are those of its channels (``mmwidth_out``); a group norm keeps its number of
    groups, the width being a multiple of them."""

    @property
    def weight(self) -> Optional[torch.Tensor]:
        return take(self._parameters['weight'], 0, self.mmwidth_out)

    @property
    def bias(self) -> Optional[torch.Tensor]:
        return take(self._parameters['bias'], 0, self.mmwidth_out)


class DynamicLayerNormMixin(DynamicNormMixin):
    """A layer norm over the channels normalises the active ones: ``normalized_shape`` follows the width."""

    @property
    def normalized_shape(self) -> tuple:
        full = self.__dict__['normalized_shape']
        return full if self.mmwidth_out is None else (width_of(self.mmwidth_out, full[0]), )

    @normalized_shape.setter
    def normalized_shape(self, value: tuple) -> None:
        self.__dict__['normalized_shape'] = value


class DynamicBatchNormMixin(DynamicNormMixin):
    # Gathered running statistics handed to the norm during one forward pass (written back after a training one).
    _mmwidth_gathered: Optional[Dict[str, torch.Tensor]] = None

    @property
    def running_mean(self) -> Optional[torch.Tensor]:
        return self._statistic('running_mean')

    @property
    def running_var(self) -> Optional[torch.Tensor]:
        return self._statistic('running_var')

    def _statistic(self, name: str) -> Optional[torch.Tensor]:
        if self._mmwidth_gathered is not None:
            return self._mmwidth_gathered[name]
        return take(self._buffers[name], 0, self.mmwidth_out)

    def forward(self, *args, **kwargs):
        index = self.mmwidth_out
        if not (isinstance(index, torch.Tensor) and self.track_running_stats):
            return super().forward(*args, **kwargs)
        # A gather copies the statistics: once per pass (the norm reads each several times), and after a training
        # pass, whose update is in place on the copies, scattered back.
        names = ('running_mean', 'running_var')
        self._mmwidth_gathered = {name: self._buffers[name][index] for name in names}
        try:
            return super().forward(*args, **kwargs)
        finally:
            if self.training:
                with torch.no_grad():
                    for name in names:
                        self._buffers[name][index] = self._mmwidth_gathered[name]
            self._mmwidth_gathered = None


def normalises_channels(norm: nn.Module, x: TracedTensor) -> bool:
    """Whether a batch, group or layer norm normalises the channel dim of ``x`` (so it can follow its width).

    A layer norm of one normalised dim qualifies on channels-last tensors, or when its own ``forward`` (e.g.
    mmpretrain's ``LayerNorm2d`` on NCHW) gives the layer norm of the channel dim on a probe of ``x``'s shape.
    """
    dim, shape = x.channel_dim, x.shape
    if isinstance(norm, _BatchNorm):
        return dim == 1
    if isinstance(norm, nn.GroupNorm):
        return dim == 1 and norm.num_channels == shape[1]
    if tuple(norm.normalized_shape) != (shape[dim], ):
        return False
    if dim == len(shape) - 1:
        return True
    if type(norm).forward is nn.LayerNorm.forward:
        return False
    like = norm.weight if norm.weight is not None else torch.empty(0)
    probe = torch.randn(shape, generator=torch.Generator().manual_seed(0)).to(like)
    try:
        with torch.no_grad():
            out = norm(probe)
    except Exception:  # a forward that needs other arguments: its channels are kept
        return False
    expected = F.layer_norm(probe.movedim(dim, -1), norm.normalized_shape, norm.weight, norm.bias, norm.eps)
    return out.shape == probe.shape and torch.allclose(out, expected.movedim(-1, dim), atol=1e-5)


@CHANNEL_LAYERS.register_module(name='norm')
class NormLayer(ChannelLayer):
    """Batch, group and layer norms over the channels keep any width (a group norm's widths are multiples of
    its groups) and pass their channels on; over other dims they fix them. Params: an ``affine`` weight and a
    bias per channel; no MACs."""
    kind = 'norm'
    module_types = (_BatchNorm, nn.GroupNorm, nn.LayerNorm)

    def trace(self, trace: Any, name: str, norm: nn.Module, x: TracedTensor, meta: Any,
              inputs: tuple) -> TracedTensor:
        if not normalises_channels(norm, x):
            trace.groups.fix(x.layout, f'normalised by {type(norm).__name__} {name}')
            return TracedTensor(meta.shape, x.layout, x.channel_dim)
        if isinstance(norm, nn.GroupNorm):
            trace.groups.split_blocks(x.layout, norm.num_groups, f'{type(norm).__name__} {name}')
        trace.record(name, Layer(name, self.kind, x.layout, affine=norm.weight is not None,
                                 has_bias=norm.bias is not None, channels_last=x.channel_dim == len(x.shape) - 1))
        return TracedTensor(meta.shape, x.layout, x.channel_dim)

    def dynamic_form(self, cls: type) -> type:
        if issubclass(cls, _BatchNorm):
            return DynamicBatchNormMixin
        return DynamicLayerNormMixin if issubclass(cls, nn.LayerNorm) else DynamicNormMixin

    def role(self, layer: Layer) -> str:
        return 'norm'

    def slice(self, norm: nn.Module, layer: Layer, in_index: IndexSet,
              out_index: IndexSet) -> Dict[str, Optional[torch.Tensor]]:
        return {name: take(getattr(norm, name, None), 0, out_index) for name in TENSOR_NAMES}

    def shapes(self, norm: nn.Module, layer: Layer, inputs: int, outputs: Optional[int]) -> Dict[str, tuple]:
        return dict.fromkeys(TENSOR_NAMES, (inputs, ))

    def set_channels(self, norm: nn.Module, layer: Layer, channels: int) -> None:
        if isinstance(norm, _BatchNorm):
            norm.num_features = channels
        elif isinstance(norm, nn.GroupNorm):
            norm.num_channels = channels
        else:  # layer norm over the channels (mmpretrain's LayerNorm2d also records num_channels)
            norm.normalized_shape = (channels, )
            if hasattr(norm, 'num_channels'):
                norm.num_channels = channels

    def add_costs(self, layer: Layer, blocks: Sequence[int], macs: np.ndarray, params: np.ndarray) -> None:
        for seg in layer.inputs:
            params[0, seg.group + 1] += (int(layer.affine) + int(layer.has_bias)) * seg.factor * blocks[seg.group]

    def summary(self, norm: nn.Module, layer: Layer, role: str, span: slice, channels: int) -> torch.Tensor:
        """|gamma| and beta of each channel; zeros for a norm without affine parameters, which tells nothing."""
        weight = norm._parameters.get('weight')
        if weight is None:
            like = next(iter(norm.buffers()), torch.empty(0))
            return like.new_zeros(channels, 2)
        return torch.stack([weight[span].abs(), norm._parameters['bias'][span]], dim=1)


@CHANNEL_LAYERS.register_module(name='fixing_norm')
class FixingNormLayer(ChannelLayer):
    """Instance and local response norms are kept whole: they fix the channels they normalise."""
    module_types = (_InstanceNorm, nn.LocalResponseNorm)

    def trace(self, trace: Any, name: str, norm: nn.Module, x: TracedTensor, meta: Any,
              inputs: tuple) -> TracedTensor:
        trace.groups.fix(x.layout, f'normalised by {type(norm).__name__} {name}')
        return TracedTensor(meta.shape, x.layout, x.channel_dim)
