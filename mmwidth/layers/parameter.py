"""Parameters read outside any layer, along the channels they meet: a ViT's cls (and distillation) token and its
position embedding, layer-scale vectors.

The tracer records such a parameter (:meth:`~mmwidth.space.propagation.Propagation.adopt`) where its last dim
meets traced channels-last channels: added or multiplied element-wise, or concatenated with them along another
dim (the cls token before the patch tokens). The record is named after the module that holds the parameter and
lists its ``tensors``; each is read, exported and resized along its last dim with the channels of the record's
inputs. It holds params only: adding a position embedding is not a multiply-accumulate.
"""
from typing import Any, Dict, Iterator, Optional, Sequence

import numpy as np
import torch
from torch import nn

from ..registry import CHANNEL_LAYERS
from ..sharing.index_sets import IndexSet
from ..space.channel_graph import Layer
from ..supernet.dynamic_layers import take
from .base import ChannelsLastLayer, DynamicLayerMixin


class DynamicParametersMixin(DynamicLayerMixin):
    """Reads the recorded parameters (``mmwidth_tensors``) through the active channels of their last dim; the
    module keeps its own forward and its other attributes."""
    mmwidth_tensors = ()

    def __getattr__(self, name: str) -> Any:
        value = super().__getattr__(name)  # parameters live in ``_parameters``: nn.Module's own look-up
        if name in self.mmwidth_tensors:
            return take(value, value.dim() - 1, self.mmwidth_out)
        return value


@CHANNEL_LAYERS.register_module(name='parameter')
class ParameterLayer(ChannelsLastLayer):
    kind = 'parameter'
    dynamic_mixin = DynamicParametersMixin
    timed = False  # its module is the whole model part that holds it, and it computes nothing
    gates_output = False  # the holder's output is not these tensors: the layers they reach are gated

    def attach(self, module: nn.Module, layer: Layer) -> None:
        module.mmwidth_tensors = layer.tensors

    def parameters(self, module: nn.Module, layer: Layer) -> Iterator[nn.Parameter]:
        return (module._parameters[name] for name in layer.tensors)

    def role(self, layer: Layer) -> str:
        return '+'.join(layer.tensors)

    def summarised_input(self, layer: Layer) -> bool:
        return False  # Dagger summarises filters; a token or an embedding is none

    def slice(self, module: nn.Module, layer: Layer, in_index: IndexSet,
              out_index: IndexSet) -> Dict[str, Optional[torch.Tensor]]:
        return {name: take(module._parameters[name], module._parameters[name].dim() - 1, out_index)
                for name in layer.tensors}

    def shapes(self, module: nn.Module, layer: Layer, inputs: int, outputs: Optional[int]) -> Dict[str, tuple]:
        return {name: tuple(module._parameters[name].shape[:-1]) + (inputs, ) for name in layer.tensors}

    def set_channels(self, module: nn.Module, layer: Layer, channels: int) -> None:
        """The holder's own size attributes describe more than these tensors: they stay."""

    def reset(self, module: nn.Module, layer: Layer) -> None:
        """Fresh values as a ViT starts its tokens and embeddings (truncated normal, std 0.02)."""
        for name in layer.tensors:
            nn.init.trunc_normal_(module._parameters[name], std=.02)

    def add_costs(self, layer: Layer, blocks: Sequence[int], macs: np.ndarray, params: np.ndarray) -> None:
        """``values_per_channel`` params per channel of each input segment."""
        for seg in layer.inputs:
            params[0, seg.group + 1] += layer.values_per_channel * seg.factor * blocks[seg.group]
