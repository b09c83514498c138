"""A model whose searched layers are dynamic, and the switch that activates one subnet on it."""
from contextlib import contextmanager
from typing import Dict, Iterator, List, Mapping, Optional, Tuple

import torch
from torch import nn

from ..sharing.index_sets import IndexSet, as_slice, index_tensor
from ..space.channel_graph import ChannelGraph, Layer
from ..space.width_space import WidthSpace
from .dynamic_layers import DynamicLayerMixin, make_dynamic


def layer_index_sets(graph: ChannelGraph, layer: Layer,
                     group_index: Mapping[int, IndexSet]) -> Tuple[IndexSet, IndexSet]:
    """The (input, output) index sets of one layer, given the index set of each group (absent = all).

    The channels of a layer that passes them on (no output group: norms, depthwise convs) are its inputs,
    returned as its output index set.
    """
    inputs = _input_index(graph, layer, group_index)
    if layer.output is None:
        return None, inputs
    return inputs, group_index.get(layer.output)


def _input_index(graph: ChannelGraph, layer: Layer, group_index: Mapping[int, IndexSet]) -> IndexSet:
    segments = layer.inputs
    if len(segments) == 1 and segments[0].factor == 1:
        return group_index.get(segments[0].group)
    if all(group_index.get(seg.group) is None for seg in segments):
        return None
    parts, offset = [], 0
    for seg in segments:
        channels = graph.groups[seg.group].channels
        index = index_tensor(group_index.get(seg.group), channels)
        if seg.factor > 1:  # a flattened map: each channel owns `factor` consecutive features
            index = (index[:, None] * seg.factor + torch.arange(seg.factor)).flatten()
        parts.append(index + offset)
        offset += channels * seg.factor
    return as_slice(torch.cat(parts))


class DynamicSupernet:
    """Makes every layer that touches a searchable group of ``space`` dynamic (in place) and switches subnets.

    It is a plain object, not a module, so that wrapping a model in it adds no parameters and no state. Layers
    are looked up by name at every switch, so a layer that was replaced after construction (e.g. MMEngine
    reverting SyncBN to BN outside distributed runs) becomes dynamic too.
    """

    def __init__(self, model: nn.Module, space: WidthSpace):
        self.model = model
        self.space = space
        self._group_id = {name: space.graph.index[name] for name in space.names}
        searchable = set(self._group_id.values())
        self._layers = [layer for layer in space.graph.layers if searchable.intersection(layer.groups())]
        self.active: Optional[Dict[str, IndexSet]] = None

    def layers(self) -> List[Tuple[nn.Module, Layer]]:
        """The dynamic layers with their traced description (converting any that is not dynamic yet)."""
        found = []
        for layer in self._layers:
            module = self.model.get_submodule(layer.name)
            found.append((make_dynamic(module, layer) if not isinstance(module, DynamicLayerMixin)
                          else module, layer))
        return found

    def activate(self, index_sets: Mapping[str, IndexSet]) -> None:
        """Makes every dynamic layer use the channels ``index_sets`` gives each group (absent group = all).

        The layers' index sets (with the offsets of concatenated and flattened inputs) are worked out on the CPU,
        then each distinct tensor is moved once to the model's device.
        """
        device = next(self.model.parameters()).device
        cpu = torch.device('cpu')
        group_index = {self._group_id[name]: _to(index, cpu) for name, index in index_sets.items()}
        moved: Dict[int, IndexSet] = {}

        def on_device(index: IndexSet) -> IndexSet:
            if not isinstance(index, torch.Tensor):
                return index
            return moved.setdefault(id(index), _to(index, device))

        for module, layer in self.layers():
            module.mmwidth_in, module.mmwidth_out = map(on_device,
                                                        layer_index_sets(self.space.graph, layer, group_index))
        self.active = dict(index_sets)

    def deactivate(self) -> None:
        """Back to the full supernet."""
        for module, _ in self.layers():
            module.mmwidth_in = module.mmwidth_out = None
        self.active = None

    @contextmanager
    def subnet(self, index_sets: Mapping[str, IndexSet]) -> Iterator[None]:
        """Activates a subnet for the duration of a ``with`` block and restores the previous one after it."""
        previous = self.active
        self.activate(index_sets)
        try:
            yield
        finally:
            if previous is None:
                self.deactivate()
            else:
                self.activate(previous)


def _to(index: IndexSet, device: torch.device) -> IndexSet:
    if isinstance(index, torch.Tensor) and index.device != device:
        return index.to(device)
    return index
