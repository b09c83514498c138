"""Multi-head attention (``nn.MultiheadAttention`` and its subclasses) with one embedding width.

``nn.MultiheadAttention`` projects its query, key and value to its ``embed_dim`` and back, so its inputs, its
inner width and its output share one width: the attention ties query, key and value to one group and passes it
on (a residual stream through attention blocks stays one group). The width is split into ``num_heads`` blocks:
every head keeps the same number of dims at the same positions (per-head dims kept equal across heads, not whole
heads dropped), because the attention kernels need equal head dims, and the group's blocks already make every
sharing pattern select the same positions in each block.

MACs, per query token: the q projection and the output projection (``E^2`` each), per key token the k and v
projections (``E^2`` each), and the two matmuls ``q k^T`` and ``softmax(.) v`` (``N_k E`` each); softmax,
scaling and dropout are not counted. The output projection ``out_proj`` is recorded as a linear layer of the same
group (its weight is read by the attention's kernel, never called as a module), holding its params; the
attention's record holds the in-projection params and every MAC.
"""
from typing import Any, Dict, Optional, Sequence

import numpy as np
import torch
from torch import nn

from ..registry import CHANNEL_LAYERS
from ..sharing.index_sets import IndexSet, index_tensor
from ..space.channel_graph import Layer
from ..space.trace_values import TracedTensor, is_sequence
from ..supernet.dynamic_layers import take
from .base import ChannelsLastLayer, DynamicLayerMixin, active_width, head_width, weight_summary


def qkv_rows(index: IndexSet, embed_dim: int) -> IndexSet:
    """The rows of a stacked q/k/v in-projection (``3 E x E``) that produce the channels ``index``."""
    if index is None:
        return None
    rows = index_tensor(index, embed_dim)
    return torch.cat([rows + k * embed_dim for k in range(3)])


def active_qkv_rows(module: nn.Module, embed_dim: int) -> IndexSet:
    """:func:`qkv_rows` of a dynamic module's active channels (``mmwidth_out``), built once per activation:
    every forward pass reads them for the weight and again for the bias."""
    index = module.mmwidth_out
    known = module.__dict__.get('_mmwidth_qkv_rows')
    if known is None or known[0] is not index:
        known = module.__dict__['_mmwidth_qkv_rows'] = (index, qkv_rows(index, embed_dim))
    return known[1]


class DynamicMultiheadAttentionMixin(DynamicLayerMixin):
    """The in-projection of the active channels (``mmwidth_out``: the attention passes its channels on), and
    ``embed_dim``/``head_dim`` that follow the width; ``out_proj`` is a dynamic linear layer of its own."""

    embed_dim = active_width('embed_dim')
    head_dim = head_width('embed_dim', 'head_dim')

    @property
    def in_proj_weight(self) -> torch.Tensor:
        rows = active_qkv_rows(self, self.__dict__['embed_dim'])
        return take(take(self._parameters['in_proj_weight'], 0, rows), 1, self.mmwidth_out)

    @property
    def in_proj_bias(self) -> Optional[torch.Tensor]:
        return take(self._parameters['in_proj_bias'], 0, active_qkv_rows(self, self.__dict__['embed_dim']))


@CHANNEL_LAYERS.register_module(name='attention')
class MultiheadAttentionLayer(ChannelsLastLayer):
    kind = 'attention'
    module_types = (nn.MultiheadAttention, )
    dynamic_mixin = DynamicMultiheadAttentionMixin

    def trace(self, trace: Any, name: str, attn: nn.MultiheadAttention, x: TracedTensor, meta: Any,
              inputs: tuple) -> Any:
        """Query, key and value (the first three tensor arguments; a missing key or value is the query) tie to
        one group, split into ``num_heads`` blocks; the output keeps the query's layout."""
        tensors = [t for t in inputs if isinstance(t, TracedTensor)]
        query, key, value = (tensors + [x] * 3)[:3]
        if not attn._qkv_same_embed_dim or any(t.layout is None or t.channel_dim != len(t.shape) - 1
                                               for t in (query, key, value)):
            return trace.unknown(f'{type(attn).__name__} with other key/value widths or untraced channels', name,
                                 inputs, meta)
        if len(query.layout) > 1 or query.layout[0].factor != 1:
            return trace.unknown(f'{type(attn).__name__} on concatenated channels', name, inputs, meta)
        layout = trace.groups.tie(trace.groups.tie(query.layout, key.layout, None, name), value.layout, None, name)
        trace.groups.split_blocks(layout, attn.num_heads, f'the heads of {name}')
        token_dim = 1 if attn.batch_first else 0
        queries, keys = int(query.shape[token_dim]), int(key.shape[token_dim])
        # in_proj + out_proj: (2 N_q + 2 N_k) E^2; the matmuls: 2 N_q N_k E
        trace.record(name, Layer(name, self.kind, layout, macs_coef=2 * queries + 2 * keys,
                                 macs_per_channel=2 * queries * keys, has_bias=attn.in_proj_bias is not None,
                                 channels_last=True))
        out = attn.out_proj
        trace.record(f'{name}.out_proj', Layer(f'{name}.out_proj', 'linear', layout, output=layout[0].group,
                                               macs_coef=0, weight_per_pair=1, has_bias=out.bias is not None,
                                               channels_last=True))
        attention = meta[0] if is_sequence(meta) else meta
        output = TracedTensor(attention.shape, layout, len(attention.shape) - 1)
        if not is_sequence(meta):
            return output
        return type(meta)([output] + [TracedTensor(m.shape, None) if m is not None else None for m in meta[1:]])

    def slice(self, attn: nn.MultiheadAttention, layer: Layer, in_index: IndexSet,
              out_index: IndexSet) -> Dict[str, Optional[torch.Tensor]]:
        rows = qkv_rows(out_index, attn.embed_dim)
        return dict(in_proj_weight=take(take(attn.in_proj_weight, 0, rows), 1, out_index),
                    in_proj_bias=take(attn.in_proj_bias, 0, rows))

    def shapes(self, attn: nn.MultiheadAttention, layer: Layer, inputs: int,
               outputs: Optional[int]) -> Dict[str, tuple]:
        return dict(in_proj_weight=(3 * inputs, inputs), in_proj_bias=(3 * inputs, ))

    def set_channels(self, attn: nn.MultiheadAttention, layer: Layer, channels: int) -> None:
        attn.embed_dim = attn.kdim = attn.vdim = channels
        attn.head_dim = channels // attn.num_heads

    def reset(self, attn: nn.MultiheadAttention, layer: Layer) -> None:
        attn._reset_parameters()

    def add_costs(self, layer: Layer, blocks: Sequence[int], macs: np.ndarray, params: np.ndarray) -> None:
        """In block rows ``r = E / b``: ``macs_coef b^2 r^2 + macs_per_channel b r`` MACs, ``3 b^2 r^2``
        in-projection weights and ``3 b r`` biases."""
        (seg, ) = layer.inputs
        col, b = seg.group + 1, blocks[seg.group]
        macs[col, col] += layer.macs_coef * b * b
        macs[0, col] += layer.macs_per_channel * b
        params[col, col] += 3 * b * b
        params[0, col] += 3 * b * int(layer.has_bias)

    def count_macs(self, attn: nn.MultiheadAttention, inputs: tuple, output: Any) -> int:
        tensors = [t for t in inputs if isinstance(t, torch.Tensor)]
        query, key = (tensors + tensors[:1] * 2)[:2]
        token_dim = 1 if attn.batch_first else 0
        queries, keys, embed = query.shape[token_dim], key.shape[token_dim], attn.out_proj.weight.shape[0]
        return (2 * queries + 2 * keys) * embed * embed + 2 * queries * keys * embed

    def summary(self, attn: nn.MultiheadAttention, layer: Layer, role: str, span: slice,
                channels: int) -> torch.Tensor:
        return weight_summary(attn._parameters['in_proj_weight'], role, span, channels)
