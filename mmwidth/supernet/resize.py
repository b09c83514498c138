"""Changing the number of channels of conv, linear and norm layers in place.

Used both to shrink a model to a subnet (export, with the selected weights) and to widen one (BCNetV2's enhanced
supernet, freshly initialised): the layer keeps its class and its other settings, only its tensors and the
attributes that describe their sizes change.
"""
from typing import Dict, Mapping, Optional

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd

from ..space.channel_graph import ChannelGraph
from ..utils.errors import ConfigError

TENSOR_NAMES = ('weight', 'bias', 'running_mean', 'running_var')


def set_layer_tensors(module: nn.Module, depthwise: bool, tensors: Mapping[str, Optional[torch.Tensor]],
                      channels: Optional[int] = None) -> None:
    """Replaces a layer's weight/bias (and a norm's statistics) and updates its channel attributes to match.

    ``channels``: a norm's new number of channels (a norm may have no tensor to read it from).
    """
    for name, tensor in tensors.items():
        old = getattr(module, name, None)
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
        # a conv's weight is out x in-per-group, a transposed conv's in x out-per-group
        whole, per_group = ('in_channels', 'out_channels') if module.transposed else ('out_channels', 'in_channels')
        setattr(module, whole, weight.shape[0])
        if depthwise:
            module.groups = weight.shape[0]
            setattr(module, per_group, weight.shape[0])
        else:
            setattr(module, per_group, weight.shape[1] * module.groups)
    elif isinstance(module, _BatchNorm):
        module.num_features = channels
    elif isinstance(module, nn.GroupNorm):
        module.num_channels = channels
    else:  # layer norm over the channels (mmpretrain's LayerNorm2d also records num_channels)
        module.normalized_shape = (channels, )
        if hasattr(module, 'num_channels'):
            module.num_channels = channels


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
        module = model.get_submodule(layer.name)
        inputs = graph.in_channels(layer, widths)
        if layer.kind == 'norm':
            shapes = dict.fromkeys(TENSOR_NAMES, (inputs, ))
        elif layer.depthwise:
            shapes = dict(weight=(inputs, ) + tuple(module.weight.shape[1:]), bias=(inputs, ))
        else:
            out = widths[layer.output]
            groups = getattr(module, 'groups', 1)
            pair = (inputs, out // groups) if layer.transposed else (out, inputs // groups)
            shapes = dict(weight=pair + tuple(module.weight.shape[2:]), bias=(out, ))
        like = module.weight if module.weight is not None else getattr(module, 'running_mean', None)
        fresh = {} if like is None else {name: like.new_empty(shape) for name, shape in shapes.items()}
        set_layer_tensors(module, layer.depthwise, fresh, channels=inputs)
        module.reset_parameters()
