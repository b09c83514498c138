"""Exports a subnet as a plain, physically smaller copy of the model with the selected weights."""
import copy
from typing import Mapping

import torch
from torch import nn

from ..layers import layer_type
from ..sharing.index_sets import IndexSet, keeps_blocks, width_of
from ..space.width_space import WidthSpace
from ..supernet.dynamic_layers import make_static
from ..supernet.dynamic_supernet import layer_index_sets
from ..supernet.resize import set_layer_tensors


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
        tensors = layer_type(layer.kind).slice(module, layer, in_index, out_index)
        # the channels of a layer that passes them on are its output index set of its input channels
        set_layer_tensors(module, layer, tensors, channels=width_of(out_index, graph.in_channels(layer, full)))
    return static
