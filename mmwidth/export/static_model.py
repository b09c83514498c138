"""Exports a subnet as a plain, physically smaller copy of the model with the selected weights."""
import copy
from typing import Mapping

from torch import nn

from ..sharing.index_sets import IndexSet, width_of
from ..space.width_space import WidthSpace
from ..supernet.dynamic_layers import make_static, take
from ..supernet.dynamic_supernet import layer_index_sets


def export_static_model(model: nn.Module, space: WidthSpace, index_sets: Mapping[str, IndexSet]) -> nn.Module:
    """A deep copy of ``model`` (dynamic or not) whose layers keep only the channels of ``index_sets``.

    The copy uses the model's own layer classes, so it runs and saves like the original architecture.
    """
    static = copy.deepcopy(model)
    for module in static.modules():
        make_static(module)
    graph = space.graph
    group_index = {graph.index[name]: index for name, index in index_sets.items()}
    for layer in graph.layers:
        in_index, out_index = layer_index_sets(graph, layer, group_index)
        if in_index is None and out_index is None:
            continue
        module = static.get_submodule(layer.name)
        index_device = module.weight.device if module.weight is not None else None
        in_index, out_index = (i.to(index_device) if hasattr(i, 'to') else i for i in (in_index, out_index))
        _shrink(module, in_index, out_index, layer.depthwise)
    return static


def _replace(module: nn.Module, name: str, tensor) -> None:
    if tensor is None:
        return
    old = getattr(module, name)
    if isinstance(old, nn.Parameter):
        setattr(module, name, nn.Parameter(tensor.detach().clone(), requires_grad=old.requires_grad))
    else:
        setattr(module, name, tensor.detach().clone())


def _shrink(module: nn.Module, in_index: IndexSet, out_index: IndexSet, depthwise: bool) -> None:
    out_width = width_of(out_index, module.weight.shape[0]) if module.weight is not None else None
    if isinstance(module, nn.Linear):
        _replace(module, 'weight', take(take(module.weight, 0, out_index), 1, in_index))
        _replace(module, 'bias', take(module.bias, 0, out_index))
        module.out_features, module.in_features = module.weight.shape
    elif isinstance(module, nn.modules.conv._ConvNd):
        weight = take(module.weight, 0, out_index)
        _replace(module, 'weight', weight if depthwise else take(weight, 1, in_index))
        _replace(module, 'bias', take(module.bias, 0, out_index))
        module.out_channels = module.weight.shape[0]
        if depthwise:
            module.in_channels = module.groups = module.out_channels
        else:
            module.in_channels = module.weight.shape[1] * module.groups
    else:  # batch norm
        for name in ('weight', 'bias', 'running_mean', 'running_var'):
            _replace(module, name, take(getattr(module, name), 0, out_index))
        module.num_features = out_width if out_width is not None else module.running_mean.shape[0]
