"""The result of tracing a model: channel groups and the layers whose shapes depend on them."""
import math
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Sequence, Tuple

from ..utils.errors import ConfigError


@dataclass(frozen=True)
class Segment:
    """A run of input channels that comes from one group.

    ``factor`` > 1 when a feature map was flattened before a linear layer: each channel of the group then feeds
    ``factor`` consecutive input features.
    """
    group: int
    factor: int = 1


@dataclass
class ChannelGroup:
    """Channels that must keep one width and one index set (a conv's outputs, the norm after it, every
    consumer's inputs, and everything tied to them by residual adds, gating products or depthwise convs).

    ``blocks`` > 1 when grouped convs or group norms split the channels into that many equal contiguous blocks:
    a width is then a multiple of ``blocks`` and every sharing pattern selects the same positions in each block.
    """
    name: str
    channels: int
    producers: List[str]
    members: List[str]
    fixed_reason: Optional[str] = None
    blocks: int = 1

    @property
    def searchable(self) -> bool:
        return self.fixed_reason is None


@dataclass
class Layer:
    """A conv, linear or norm layer whose parameters are sliced by the width of its groups.

    ``inputs`` lists the input channels in order (several segments after a concat); ``output`` is the group of
    the output channels (``None`` for norms and depthwise convs, whose channels are their input's).
    ``macs_coef`` multiplies out-channels x in-channels-per-group into MACs, summed over every call of the layer
    (a shared detection head is called once per pyramid level; a transposed conv runs over its input positions).
    ``transposed`` convs store their weight as in x out-per-group. A norm has ``affine`` (a weight per channel)
    and ``has_bias`` (a bias per channel). ``kind`` names the layer family (:mod:`mmwidth.layers`) that reads
    the record. ``channels_last``: the channels of its output are the output's last dim (linear layers,
    attention, layer norms over tokens), not dim 1; a hook on the output (Dagger's gates) multiplies there.
    A 'parameter' record is named after the module that holds its ``tensors``.
    """
    name: str
    kind: str  # the family: 'conv', 'linear', 'norm', 'attention', or one a user registers
    inputs: Tuple[Segment, ...]
    output: Optional[int] = None
    depthwise: bool = False
    conv_groups: int = 1
    macs_coef: int = 0
    weight_per_pair: int = 0  # conv kernel area, 1 for linear, 3 for a stacked q/k/v projection
    macs_per_channel: int = 0  # MACs linear in the width (an attention's matmuls), over every call
    has_bias: bool = False
    affine: bool = False
    transposed: bool = False
    channels_last: bool = False
    # the parameters of its module a 'parameter' record covers (a ViT's cls token and position embedding), and
    # their values per channel
    tensors: Tuple[str, ...] = ()
    values_per_channel: int = 0

    def groups(self) -> List[int]:
        found = [seg.group for seg in self.inputs]
        if self.output is not None:
            found.append(self.output)
        return found


@dataclass
class ChannelGraph:
    """Channel groups of a model, the layers that depend on them and the parameters that depend on none
    (``other_params``: parameter name -> size, for the parameters outside the traced layers).

    ``entry`` is what was traced (see :mod:`mmwidth.utils.model_call`): ``'forward'``, or ``'extract_feat'`` for a
    model whose heads cannot run on a tensor alone; its FLOPs and outputs are those of that call.
    ``extra_entries`` were traced too, without counting their MACs: heads that only the loss path runs (see
    :func:`mmwidth.utils.model_call.head_entry`), whose layers follow the widths. ``uncounted`` says where the
    counted entry multiply-accumulates outside conv and linear layers (e.g. ``'matmul in decode_head.gather'``):
    FLOPs leave those out.
    """
    groups: List[ChannelGroup]
    layers: List[Layer]
    input_shape: Tuple[int, ...]
    other_params: Dict[str, int] = field(default_factory=dict)
    entry: str = 'forward'
    extra_entries: Tuple[str, ...] = ()
    uncounted: Tuple[str, ...] = ()
    index: Dict[str, int] = field(init=False, repr=False)

    def __post_init__(self):
        self.index = {group.name: i for i, group in enumerate(self.groups)}

    @property
    def entries(self) -> Tuple[str, ...]:
        """Every traced entry, the counted one first."""
        return (self.entry, ) + self.extra_entries

    def group(self, name: str) -> ChannelGroup:
        return self.groups[self.index[name]]

    def in_channels(self, layer: Layer, widths: Sequence[int]) -> int:
        return sum(widths[seg.group] * seg.factor for seg in layer.inputs)

    def tied(self, name_sets: Sequence[Sequence[str]]) -> 'ChannelGraph':
        """A copy in which each set of named groups is one group (named after its first member)."""
        parent = list(range(len(self.groups)))
        for names in name_sets:
            ids = [self.index[name] for name in names]
            sizes = {self.groups[i].channels for i in ids}
            if len(sizes) > 1:
                detail = ', '.join(f'{self.groups[i].name} ({self.groups[i].channels})' for i in ids)
                raise ConfigError(f'cannot tie groups with different channel counts: {detail}')
            for i in ids[1:]:
                parent[i] = ids[0]
        keep = [i for i in range(len(self.groups)) if parent[i] == i]
        new_id = {old: new for new, old in enumerate(keep)}
        remap = {i: new_id[parent[i]] for i in range(len(self.groups))}
        groups = [ChannelGroup(self.groups[i].name, self.groups[i].channels, [], [], None) for i in keep]
        for i, group in enumerate(self.groups):
            target = groups[remap[i]]
            target.producers += group.producers
            target.members += group.members
            target.fixed_reason = target.fixed_reason or group.fixed_reason
            target.blocks = math.lcm(target.blocks, group.blocks)
        layers = [replace(layer, inputs=tuple(Segment(remap[s.group], s.factor) for s in layer.inputs),
                          output=None if layer.output is None else remap[layer.output]) for layer in self.layers]
        return ChannelGraph(groups, layers, self.input_shape, self.other_params, self.entry, self.extra_entries,
                            self.uncounted)
