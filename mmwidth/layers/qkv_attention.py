"""Attention with a stacked q/k/v projection and an output projection of their own (mmpretrain's
``MultiheadAttention``: ViT, DeiT; its ``WindowMSA``: Swin).

The module is traced as one call that records three layers: ``qkv`` (a linear layer from the input channels to
three copies of the attention's inner width, kind 'qkv_projection'), the attention itself (its matmuls over the
inner width, kind 'qkv_attention') and ``proj`` (a linear layer from the inner width to the output channels). So
the inner width is a group of its own, searchable apart from the residual stream the input and output channels
join. It is split into ``num_heads`` blocks: every head keeps the same number of dims at the same positions
(per-head dims kept equal across heads, not whole heads dropped), because the attention kernel takes one head
dim for all heads, and the group's blocks already make every sharing pattern select the same positions in each
block. The head count stays, so a narrower attention keeps its number of heads. ``WindowMSA`` splits its input
width into heads (it reads it from its input), so its inner width is its input's group.

MACs (the FLOPs convention of conv and linear layers: one multiply-accumulate each): ``qkv`` ``3 N C E`` and
``proj`` ``N E C'`` over ``N`` tokens, and the two matmuls ``q k^T`` and ``softmax(.) v``, ``N^2 E`` each (times
the windows of a window attention); softmax, scaling, the relative position bias and dropout are not counted.
"""
from typing import Any, Dict, Iterator, Optional, Sequence

import numpy as np
import torch
from mmpretrain.models.utils.attention import MultiheadAttention, WindowMSA
from torch import nn

from ..registry import CHANNEL_LAYERS
from ..sharing.index_sets import IndexSet
from ..space.channel_graph import Layer, Segment
from ..space.trace_values import TracedTensor
from ..supernet.dynamic_layers import take, take_weight
from .attention import active_qkv_rows, qkv_rows
from .base import (ChannelsLastLayer, DynamicLayerMixin, active_width, add_pair_costs, head_width, row_statistics,
                   weight_summary)


class DynamicQKVProjectionMixin(DynamicLayerMixin):
    """The rows of q, k and v for the active inner channels (``mmwidth_out``) of the active inputs."""

    @property
    def weight(self) -> torch.Tensor:
        weight = self._parameters['weight']
        return take_weight(weight, active_qkv_rows(self, weight.shape[0] // 3), self.mmwidth_in, contiguous=False)

    @property
    def bias(self) -> Optional[torch.Tensor]:
        bias = self._parameters['bias']
        return None if bias is None else take(bias, 0, active_qkv_rows(self, bias.shape[0] // 3))


@CHANNEL_LAYERS.register_module(name='qkv_projection')
class QKVProjectionLayer(ChannelsLastLayer):
    """The stacked q/k/v projection of a :class:`QKVAttentionLayer` (an ``nn.Linear`` of ``3 E`` outputs):
    each output channel of the inner group owns three rows, its q, k and v."""
    kind = 'qkv_projection'
    dynamic_mixin = DynamicQKVProjectionMixin

    def slice(self, linear: nn.Linear, layer: Layer, in_index: IndexSet,
              out_index: IndexSet) -> Dict[str, Optional[torch.Tensor]]:
        rows = qkv_rows(out_index, linear.out_features // 3)
        return dict(weight=take(take(linear.weight, 0, rows), 1, in_index), bias=take(linear.bias, 0, rows))

    def shapes(self, linear: nn.Linear, layer: Layer, inputs: int, outputs: Optional[int]) -> Dict[str, tuple]:
        return dict(weight=(3 * outputs, inputs), bias=(3 * outputs, ))

    def set_channels(self, linear: nn.Linear, layer: Layer, channels: int) -> None:
        linear.out_features, linear.in_features = linear.weight.shape

    def add_costs(self, layer: Layer, blocks: Sequence[int], macs: np.ndarray, params: np.ndarray) -> None:
        """Three rows per output channel: ``weight_per_pair`` 3, and three biases."""
        add_pair_costs(layer, blocks, macs, params)
        params[0, layer.output + 1] += 2 * int(layer.has_bias) * blocks[layer.output]

    def output_gate(self, layer: Layer, gates: torch.Tensor) -> torch.Tensor:
        """A closed inner channel's q, k and v: q k^T and the value it carries then leave it out."""
        return gates.repeat(3)

    def summary(self, linear: nn.Linear, layer: Layer, role: str, span: slice, channels: int) -> torch.Tensor:
        weight = linear._parameters['weight']
        if role == 'out':  # a channel's q, k and v rows together
            return row_statistics(weight.view(3, -1, weight.shape[1]).transpose(0, 1).reshape(channels, -1))
        return weight_summary(weight, role, span, channels)


class DynamicQKVAttentionMixin(DynamicLayerMixin):
    """``embed_dims`` and ``head_dims`` that follow the active inner width (``mmwidth_out``: the attention's
    record passes the inner channels on); ``qkv`` and ``proj`` are dynamic layers of their own."""
    embed_dims = active_width('embed_dims')
    head_dims = head_width('embed_dims', 'head_dims')


@CHANNEL_LAYERS.register_module(name='qkv_attention')
class QKVAttentionLayer(ChannelsLastLayer):
    kind = 'qkv_attention'
    module_types = (MultiheadAttention, WindowMSA)
    dynamic_mixin = DynamicQKVAttentionMixin
    timed = False  # its call runs its qkv and proj layers too
    gates_output = False  # its output is proj's channels; its inner ones are gated at qkv

    def trace(self, trace: Any, name: str, attn: MultiheadAttention, x: TracedTensor, meta: Any,
              inputs: tuple) -> Any:
        """Tokens ``(B, N, C)`` with their channels last (``B``: the windows of a window attention, the trace
        running one image); the output is ``proj``'s channels."""
        if len(x.shape) != 3 or x.channel_dim != 2:
            return trace.unknown(f'{type(attn).__name__} on channels that are not the last dim of (B, N, C)', name,
                                 inputs, meta)
        windowed = isinstance(attn, WindowMSA)
        if not windowed and (attn.v_shortcut or not isinstance(attn.gamma1, nn.Identity)):
            return trace.unknown(f'{type(attn).__name__} with a value shortcut or a layer scale', name, inputs, meta)
        if windowed and (len(x.layout) > 1 or x.layout[0].factor != 1):
            return trace.unknown(f'{type(attn).__name__} on concatenated channels', name, inputs, meta)
        windows, tokens = int(x.shape[0]), int(x.shape[1])
        qkv, proj = f'{name}.qkv', f'{name}.proj'
        inner = x.layout[0].group if windowed else trace.output_group(qkv, attn.embed_dims)
        trace.groups.split_blocks((Segment(inner), ), attn.num_heads, f'the heads of {name}')
        trace.record(qkv, Layer(qkv, 'qkv_projection', x.layout, output=inner, macs_coef=3 * windows * tokens,
                                weight_per_pair=3, has_bias=attn.qkv.bias is not None, channels_last=True))
        trace.record(name, Layer(name, self.kind, (Segment(inner), ), macs_per_channel=2 * windows * tokens * tokens,
                                 channels_last=True))
        out = trace.output_group(proj, attn.proj.out_features)
        trace.record(proj, Layer(proj, 'linear', (Segment(inner), ), output=out, macs_coef=windows * tokens,
                                 weight_per_pair=1, has_bias=attn.proj.bias is not None, channels_last=True))
        return TracedTensor(meta.shape, (Segment(out), ), 2)

    def parameters(self, attn: nn.Module, layer: Layer) -> Iterator[nn.Parameter]:
        """None: its terms count MACs only; a relative position bias table (one value per head) stays a fixed
        parameter of its own."""
        return iter(())

    def role(self, layer: Layer) -> str:
        return 'heads'

    def summarised_input(self, layer: Layer) -> bool:
        return False  # no weights of its own: its qkv and proj layers are summarised

    def slice(self, attn: MultiheadAttention, layer: Layer, in_index: IndexSet,
              out_index: IndexSet) -> Dict[str, Optional[torch.Tensor]]:
        return {}

    def shapes(self, attn: MultiheadAttention, layer: Layer, inputs: int,
               outputs: Optional[int]) -> Dict[str, tuple]:
        return {}

    def set_channels(self, attn: MultiheadAttention, layer: Layer, channels: int) -> None:
        attn.embed_dims = channels
        if isinstance(attn, MultiheadAttention):  # a window attention reads its widths from its input
            attn.head_dims, attn.input_dims = channels // attn.num_heads, attn.qkv.in_features

    def reset(self, attn: MultiheadAttention, layer: Layer) -> None:
        """Nothing of its own: its qkv and proj layers are reset as layers."""

    def add_costs(self, layer: Layer, blocks: Sequence[int], macs: np.ndarray, params: np.ndarray) -> None:
        """``2 N^2`` MACs per inner channel."""
        (seg, ) = layer.inputs
        macs[0, seg.group + 1] += layer.macs_per_channel * blocks[seg.group]

    def count_macs(self, attn: MultiheadAttention, inputs: tuple, output: Any) -> int:
        windows, tokens = inputs[0].shape[:2]  # of one image: the batch holds its windows
        return 2 * windows * tokens * tokens * attn.embed_dims
