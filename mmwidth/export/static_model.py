"""Exports a subnet as a plain, physically smaller copy of the model with the selected weights."""
import copy
from typing import Mapping

import torch
from torch import nn
from torch.nn.modules.conv import _ConvNd

from ..sharing.index_sets import IndexSet, keeps_blocks, width_of
from ..space.width_space import WidthSpace
from ..supernet.dynamic_layers import conv_weight, make_static, take
from ..supernet.dynamic_supernet import layer_index_sets
from ..supernet.resize import TENSOR_NAMES, set_layer_tensors


def export_static_model(model: nn.Module, space: WidthSpace, index_sets: Mapping[str, IndexSet]) -> nn.Module:
    """A deep copy of ``model`` (dynamic or not) whose layers keep only the channels of ``index_sets``.

    The copy uses the model's own layer classes, so it runs and saves like the original architecture.
    """
    for name, index in index_sets.items():
        if not keeps_blocks(index, space.channels(name), space.blocks[name]):
            raise ValueError(f'the index set of group "{name}" does not keep the same channels in each of its '
                             f'{space.blocks[name]} blocks (pass blocks=space.blocks to subnet_index_sets)')
    static = copy.deepcopy(model)
    for module in static.modules():
        make_static(module)
    graph = space.graph
    group_index = {graph.index[name]: index for name, index in index_sets.items()}
    full = [group.channels for group in graph.groups]
    for layer in graph.layers:
        in_index, out_index = layer_index_sets(graph, layer, group_index)
        if in_index is None and out_index is None:
            continue
        module = static.get_submodule(layer.name)
        device = next(iter(module.state_dict().values()), torch.empty(0)).device  # a plain layer norm has none
        in_index, out_index = (i.to(device) if isinstance(i, torch.Tensor) else i for i in (in_index, out_index))
        _shrink(module, in_index, out_index, layer.depthwise, graph.in_channels(layer, full))
    return static


def _shrink(module: nn.Module, in_index: IndexSet, out_index: IndexSet, depthwise: bool, channels: int) -> None:
    """Keeps the channels ``in_index`` -> ``out_index`` of a layer (a norm's channels: ``out_index`` of its
    ``channels``)."""
    if isinstance(module, nn.Linear):
        tensors = dict(weight=take(take(module.weight, 0, out_index), 1, in_index))
    elif isinstance(module, _ConvNd):
        tensors = dict(weight=conv_weight(module.weight, in_index, out_index, module.groups, module.transposed,
                                          depthwise))
    else:  # norms: their channels are their output index set
        tensors = {name: take(getattr(module, name, None), 0, out_index) for name in TENSOR_NAMES}
    tensors.setdefault('bias', take(module.bias, 0, out_index))
    set_layer_tensors(module, depthwise, tensors, channels=width_of(out_index, channels))
