"""Changing the number of channels of conv, linear and batch-norm layers in place.

Used both to shrink a model to a subnet (export, with the selected weights) and to widen one (BCNetV2's enhanced
supernet, freshly initialised): the layer keeps its class and its other settings, only its tensors and the
attributes that describe their sizes change.
"""
from typing import Dict, Mapping, Optional

import torch
from torch import nn
from torch.nn.modules.conv import _ConvNd

from ..space.channel_graph import ChannelGraph

TENSOR_NAMES = ('weight', 'bias', 'running_mean', 'running_var')


def set_layer_tensors(module: nn.Module, depthwise: bool, tensors: Mapping[str, Optional[torch.Tensor]]) -> None:
    """Replaces a layer's weight/bias (and a norm's statistics) and updates its channel attributes to match."""
    for name, tensor in tensors.items():
        old = getattr(module, name)
        if tensor is None or old is None:
            continue
        if isinstance(old, nn.Parameter):
            setattr(module, name, nn.Parameter(tensor.detach().clone(), requires_grad=old.requires_grad))
        else:
            setattr(module, name, tensor.detach().clone())
    weight = module.weight
    if isinstance(module, nn.Linear):
        module.out_features, module.in_features = weight.shape
    elif isinstance(module, _ConvNd):
        module.out_channels = weight.shape[0]
        if depthwise:
            module.in_channels = module.groups = module.out_channels
        else:
            module.in_channels = weight.shape[1] * module.groups
    else:  # batch norm
        module.num_features = module.running_mean.shape[0] if module.running_mean is not None else weight.shape[0]


def resize_layers(model: nn.Module, graph: ChannelGraph, channels: Dict[int, int]) -> None:
    """Gives every layer of ``graph`` the channels ``channels`` assigns its groups (by group id; others keep
    theirs) and re-initialises the layers that changed."""
    widths = [channels.get(i, group.channels) for i, group in enumerate(graph.groups)]
    for layer in graph.layers:
        if not any(g in channels for g in layer.groups()):
            continue
        module = model.get_submodule(layer.name)
        inputs = graph.in_channels(layer, widths)
        if layer.kind == 'norm':
            shapes = dict.fromkeys(TENSOR_NAMES, (inputs, ))
        elif layer.depthwise:
            shapes = dict(weight=(inputs, ) + tuple(module.weight.shape[1:]), bias=(inputs, ))
        else:
            out = widths[layer.output]
            per_group = inputs // getattr(module, 'groups', 1)
            shapes = dict(weight=(out, per_group) + tuple(module.weight.shape[2:]), bias=(out, ))
        like = module.weight if module.weight is not None else module.running_mean
        set_layer_tensors(module, layer.depthwise,
                          {name: like.new_empty(shape) for name, shape in shapes.items()})
        module.reset_parameters()
