"""Changing the number of channels of traced layers in place.

Used both to shrink a model to a subnet (export, with the selected weights) and to widen one (BCNetV2's enhanced
supernet, freshly initialised): the layer keeps its class and its other settings, only its tensors and the
attributes that describe their sizes change (each family says which: :mod:`mmwidth.layers`).
"""
import itertools
from typing import Dict, Mapping, Optional

import torch
from torch import nn

from ..layers import layer_type
from ..space.channel_graph import ChannelGraph, Layer
from ..utils.errors import ConfigError


def set_layer_tensors(module: nn.Module, layer: Layer, tensors: Mapping[str, Optional[torch.Tensor]],
                      channels: int) -> None:
    """Replaces a layer's tensors (those it has; parameters stay parameters) and updates its channel attributes
    to match (``channels``: its channels when it passes them on, which it may have no tensor to read from)."""
    for name, tensor in tensors.items():
        old = getattr(module, name, None)
        if tensor is None or old is None:
            continue
        if isinstance(old, nn.Parameter):
            setattr(module, name, nn.Parameter(tensor.detach().clone(), requires_grad=old.requires_grad))
        else:
            setattr(module, name, tensor.detach().clone())
    layer_type(layer.kind).set_channels(module, layer, channels)


def resize_layers(model: nn.Module, graph: ChannelGraph, channels: Dict[int, int]) -> None:
    """Gives every layer of ``graph`` the channels ``channels`` assigns its groups (by group id; others keep
    theirs) and re-initialises the layers that changed."""
    for gid, width in channels.items():
        group = graph.groups[gid]
        if width % group.blocks:
            raise ConfigError(f'group "{group.name}" splits its channels into {group.blocks} blocks; it cannot '
                              f'have {width} channels')
    widths = [channels.get(i, group.channels) for i, group in enumerate(graph.groups)]
    for layer in graph.layers:
        if not any(g in channels for g in layer.groups()):
            continue
        module, family = model.get_submodule(layer.name), layer_type(layer.kind)
        inputs = graph.in_channels(layer, widths)
        outputs = None if layer.output is None else widths[layer.output]
        shapes = family.shapes(module, layer, inputs, outputs)
        like = next(itertools.chain(module.parameters(recurse=False), module.buffers(recurse=False)), None)
        fresh = {} if like is None else {name: like.new_empty(shape) for name, shape in shapes.items()}
        set_layer_tensors(module, layer, fresh, channels=inputs)
        family.reset(module, layer)
