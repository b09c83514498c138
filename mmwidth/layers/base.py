"""The interface every layer family implements, and the look-ups by module class and by traced kind."""
from typing import Any, Callable, Dict, Iterator, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from ..registry import CHANNEL_LAYERS
from ..sharing.index_sets import IndexSet, width_of
from ..space.channel_graph import Layer, Segment


class DynamicLayerMixin:
    """The dynamic form every family's extends: index sets ``mmwidth_in`` for input channels, ``mmwidth_out``
    for output channels (the channels of a layer that passes them on are its ``mmwidth_out``); ``None`` means
    every channel."""
    mmwidth_in: IndexSet = None
    mmwidth_out: IndexSet = None
    # Called with the layer before each training forward pass (e.g. to count which channels were trained).
    mmwidth_monitor: Optional[Callable[[nn.Module], None]] = None

    def forward(self, *args, **kwargs):
        if self.training and self.mmwidth_monitor is not None:
            self.mmwidth_monitor(self)
        return super().forward(*args, **kwargs)


def active_width(attribute: str) -> property:
    """A size attribute of a dynamic module (e.g. an attention's embedding width) that reads as the number of
    its active channels (``mmwidth_out``); set, it stores the full size."""

    def get(module: nn.Module) -> int:
        full = module.__dict__[attribute]
        return full if module.mmwidth_out is None else width_of(module.mmwidth_out, full)

    def store(module: nn.Module, value: int) -> None:
        module.__dict__[attribute] = value

    return property(get, store)


def head_width(width: str, attribute: str) -> property:
    """An attention's per-head width ``attribute``: its active ``width`` over its (fixed) ``num_heads``."""

    def get(module: nn.Module) -> int:
        return getattr(module, width) // module.num_heads

    def store(module: nn.Module, value: int) -> None:
        module.__dict__[attribute] = value

    return property(get, store)


class ChannelLayer:
    """Everything mmwidth knows about one family of layers whose parameters depend on channel widths.

    A family is registered in ``CHANNEL_LAYERS`` under the ``kind`` its traced :class:`Layer` records carry, and
    owns the module classes in ``module_types`` (their subclasses too: a module's class is looked up along its
    MRO, so mmcv's and mmdet's subclasses keep working). Each method is one job that another part of mmwidth asks
    the family to do, so that no other module branches on layer kinds.

    Attributes:
        kind: the ``Layer.kind`` of its records ('' for families that only fix the channels they touch).
        module_types: the module classes it owns (none for families whose records other families' tracing
            makes, e.g. the stacked q/k/v projection inside an attention).
        dynamic_mixin: mixed into a module's class to read its tensors through the active index sets.
        input_dim: the dim of an input tensor that holds its channels (1, or -1 for channels-last layers).
        timed: whether a latency table times its records' modules on their own (not where the module's call
            runs other records' layers too, or computes nothing).
        gates_output: whether its module's output carries the channels of its record's output (Dagger gates
            them there), not where the record stands for tensors the module only reads (a ViT's tokens).
    """
    kind = ''
    module_types: Tuple[type, ...] = ()
    dynamic_mixin: type = DynamicLayerMixin
    input_dim = 1
    timed = True
    gates_output = True

    # ---------------------------------------------------------------------------------------------- tracing
    def trace(self, trace: Any, name: str, module: nn.Module, x: Any, meta: Any, inputs: tuple) -> Any:
        """The traced output of calling ``module`` (at path ``name``) on the traced tensor ``x`` (its first
        argument, read along :attr:`input_dim`) whose real output has ``meta``; ``inputs`` are all the call's
        traced arguments, positional then keyword in the order given (an attention's query, key and value).
        Through the propagation ``trace`` it records the layer (``trace.record``), takes its output group
        (``trace.output_group``) and fixes, splits or ties groups (``trace.groups``)."""
        raise NotImplementedError

    # ------------------------------------------------------------------------------------------ graph roles
    def role(self, layer: Layer) -> str:
        """How the layer uses its input channels, for group members: 'in' (consumed), or a name for channels
        it passes on (its output channels are then its inputs, ``layer.output`` is None)."""
        return 'in'

    def summarised_input(self, layer: Layer) -> bool:
        """Whether Dagger's summaries read its input channels (a grouped conv spreads them over its groups)."""
        return True

    # ----------------------------------------------------------------------------------------- supernet/export
    def dynamic_form(self, cls: type) -> type:
        """The mixin that makes a module of class ``cls`` (one of its types) dynamic."""
        return self.dynamic_mixin

    def attach(self, module: nn.Module, layer: Layer) -> None:
        """Gives a module just made dynamic what its dynamic form reads of its record (e.g. a conv's
        ``depthwise``)."""

    def parameters(self, module: nn.Module, layer: Layer) -> Iterator[nn.Parameter]:
        """The parameters the record covers, whose sizes its terms count (the module's own, by default)."""
        return module.parameters(recurse=False)

    def slice(self, module: nn.Module, layer: Layer, in_index: IndexSet,
              out_index: IndexSet) -> Dict[str, Optional[torch.Tensor]]:
        """The tensors of the channels ``in_index`` -> ``out_index`` (what an export keeps; the channels of a
        layer that passes them on are its ``out_index``)."""
        raise NotImplementedError

    def shapes(self, module: nn.Module, layer: Layer, inputs: int, outputs: Optional[int]) -> Dict[str, tuple]:
        """The shapes of its tensors at ``inputs`` input and ``outputs`` output channels (what resizing makes)."""
        raise NotImplementedError

    def set_channels(self, module: nn.Module, layer: Layer, channels: int) -> None:
        """Updates the attributes that describe its sizes after its tensors were replaced (``channels``: its
        channels when it passes them on)."""
        raise NotImplementedError

    def reset(self, module: nn.Module, layer: Layer) -> None:
        """Initialises a resized module's tensors afresh (BCNetV2's widened supernet, a slimmed model)."""
        module.reset_parameters()

    # ------------------------------------------------------------------------------------------------ costs
    def add_costs(self, layer: Layer, blocks: Sequence[int], macs: np.ndarray, params: np.ndarray) -> None:
        """Adds its MACs and params to the quadratic forms in the block rows of each group (``blocks``: each
        group's blocks; row/column 0 is the constant term, group ``g`` is row ``g + 1``)."""
        raise NotImplementedError

    def count_macs(self, module: nn.Module, inputs: tuple, output: Any) -> int:
        """The MACs of one real call of ``module`` on one image (``inputs``: its arguments, positional then
        keyword in the order given, and ``output``, of a batch of one), read from the tensors in use: the
        module-by-module count that the analytic terms are checked against."""
        return 0

    # ----------------------------------------------------------------------------------------------- Dagger
    def output_gate(self, layer: Layer, gates: torch.Tensor) -> torch.Tensor:
        """The multiplier of its module's output for ``gates`` on the channels of its output groups."""
        return gates

    def summary(self, module: nn.Module, layer: Layer, role: str, span: slice, channels: int) -> torch.Tensor:
        """Per-channel statistics ``(channels, features of role)`` of the weights of ``channels`` of its
        channels, for Dagger: ``role`` 'out' (its output rows) or its :meth:`role` (its inputs at ``span``)."""
        raise NotImplementedError


class ChannelsLastLayer(ChannelLayer):
    """A family of layers that read their channels from the last dim of their inputs (linear layers, attention),
    every dim between the batch and the channels holding tokens."""
    input_dim = -1


def row_statistics(rows: torch.Tensor) -> torch.Tensor:
    """``(C, n)`` -> ``(C, 4)``: mean absolute value, RMS, mean and standard deviation of each row (the filter
    summaries of conv and linear weights)."""
    return torch.stack([rows.abs().mean(1), rows.pow(2).mean(1).sqrt(), rows.mean(1),
                        rows.std(1, unbiased=False)], dim=1)


def weight_summary(weight: torch.Tensor, role: str, span: slice, channels: int) -> torch.Tensor:
    """Summaries of an out x in (x kernel) weight: its output rows ('out') or the input columns at ``span``."""
    if role == 'out':
        return row_statistics(weight.flatten(1))
    return row_statistics(weight.transpose(0, 1)[span].reshape(channels, -1))


def add_pair_costs(layer: Layer, blocks: Sequence[int], macs: np.ndarray, params: np.ndarray,
                   groups: int = 1) -> None:
    """The terms of a layer that maps its inputs to its own output group: out x in / ``groups`` MACs
    (``macs_coef`` each) and weights (``weight_per_pair`` each), and a bias per output channel."""
    row = layer.output + 1
    for seg in layer.inputs:
        pairs = seg.factor * blocks[seg.group] * blocks[layer.output] // groups
        macs[row, seg.group + 1] += layer.macs_coef * pairs
        params[row, seg.group + 1] += layer.weight_per_pair * pairs
    params[0, row] += int(layer.has_bias) * blocks[layer.output]


def output_segments(layer: Layer) -> Tuple[Segment, ...]:
    """The groups of a layer's output channels: its own group, or its inputs' when it passes them on."""
    return layer.inputs if layer.output is None else (Segment(layer.output), )


_instances: Dict[str, ChannelLayer] = {}


def _families() -> Dict[str, ChannelLayer]:
    CHANNEL_LAYERS.import_from_location()
    for key, cls in CHANNEL_LAYERS.module_dict.items():
        if key not in _instances:
            _instances[key] = cls()
    return _instances


def layer_type(kind: str) -> ChannelLayer:
    """The family of a traced layer record's ``kind``."""
    families = _families()
    if kind not in families:
        raise KeyError(f'no channel layer family "{kind}" is registered in CHANNEL_LAYERS')
    return families[kind]


def layer_type_of(module: Any) -> Optional[ChannelLayer]:
    """The family that owns a module (or module class), found along its MRO; None for other modules."""
    cls = module if isinstance(module, type) else type(module)
    owners = {owned: family for family in _families().values() for owned in family.module_types}
    return next((owners[base] for base in cls.__mro__ if base in owners), None)
