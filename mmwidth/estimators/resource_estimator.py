"""Analytic FLOPs and params of width configs, computed from a traced channel graph without building a model.

FLOPs follow the convention of the whole BCNet/CafeNet family: multiply-accumulates of conv and linear layers only
(``H_out * W_out * C_out * C_in / groups * k_h * k_w`` and ``in * out``); bias, norms, activations, pooling and
adds are not counted. Params count every parameter of the model.

Both figures are quadratic forms in the widths of the searchable groups, ``w~' Q w~`` with ``w~ = [1, w]``, so
a whole population of candidates is evaluated by one matrix product.
"""
from typing import Dict, Optional, Sequence

import numpy as np
import torch

from ..space.channel_graph import ChannelGraph, Layer


class ResourceEstimator:
    """FLOPs (MACs) and params of any widths of the searchable groups ``names`` of ``graph``.

    ``scope``: count only the layers and parameters under that module prefix (e.g. a detector's backbone).
    """

    def __init__(self, graph: ChannelGraph, names: Sequence[str], scope: Optional[str] = None):
        self.names = list(names)
        inside = (lambda name: True) if scope is None else (lambda name: name.startswith(scope + '.'))  # noqa: E731
        num_groups = len(graph.groups)
        macs = np.zeros((num_groups + 1, num_groups + 1), dtype=np.int64)
        params = np.zeros_like(macs)
        params[0, 0] = sum(size for name, size in graph.other_params.items() if inside(name))
        for layer in graph.layers:
            if inside(layer.name):
                self._add_layer(graph, layer, macs, params)
        # Fold the fixed groups in at their full widths: w~ = P [1, s], s = widths of the searchable groups.
        fold = np.zeros((num_groups + 1, len(self.names) + 1), dtype=np.int64)
        fold[0, 0] = 1
        position = {name: i + 1 for i, name in enumerate(self.names)}
        for gid, group in enumerate(graph.groups):
            if group.name in position:
                fold[gid + 1, position[group.name]] = 1
            else:
                fold[gid + 1, 0] = group.channels
        self._macs = fold.T @ macs @ fold
        self._params = fold.T @ params @ fold

    @staticmethod
    def _add_layer(graph: ChannelGraph, layer: Layer, macs: np.ndarray, params: np.ndarray) -> None:
        """Adds one layer's MACs and params as bilinear (out x in) and linear (per channel) terms."""
        for seg in layer.inputs:
            col = seg.group + 1
            if layer.kind == 'norm':
                params[0, col] += 2 * seg.factor if layer.affine else 0
            elif layer.depthwise:
                macs[0, col] += layer.macs_coef * seg.factor
                params[0, col] += (layer.weight_per_pair + int(layer.has_bias)) * seg.factor
            elif layer.conv_groups == 1:
                row = layer.output + 1
                macs[row, col] += layer.macs_coef * seg.factor
                params[row, col] += layer.weight_per_pair * seg.factor
        if layer.kind != 'norm' and not layer.depthwise:
            row = layer.output + 1
            params[0, row] += int(layer.has_bias)
            if layer.conv_groups > 1:  # grouped convs keep their groups fixed: a constant
                full = [g.channels for g in graph.groups]
                pairs = graph.groups[layer.output].channels * graph.in_channels(layer, full) // layer.conv_groups
                macs[0, 0] += layer.macs_coef * pairs
                params[0, 0] += layer.weight_per_pair * pairs

    def _vector(self, widths: Dict[str, int]) -> np.ndarray:
        return np.array([1] + [widths[name] for name in self.names], dtype=np.int64)

    def flops(self, widths: Dict[str, int]) -> int:
        vec = self._vector(widths)
        return int(vec @ self._macs @ vec)

    def params(self, widths: Dict[str, int]) -> int:
        vec = self._vector(widths)
        return int(vec @ self._params @ vec)

    @property
    def flops_matrix(self) -> np.ndarray:
        """``Q`` of ``flops(w) = w~' Q w~`` with ``w~ = [1, widths in the order of names]`` (a copy)."""
        return self._macs.copy()

    def flops_of_tensor(self, widths: torch.Tensor) -> torch.Tensor:
        """The FLOPs form on real-valued widths (``len(names)``, in that order), differentiable: e.g. soft
        widths, the sums of each group's channel gates."""
        vec = torch.cat([widths.new_ones(1), widths])
        return vec @ torch.as_tensor(self._macs, dtype=widths.dtype, device=widths.device) @ vec

    def flops_per_channel(self, widths: Dict[str, int]) -> Dict[str, int]:
        """FLOPs one more channel of each group adds at ``widths`` (its own layers' outputs and its consumers'
        inputs): the gradient of the quadratic form."""
        vec = self._vector(widths)
        gradient = (self._macs + self._macs.T) @ vec
        return {name: int(gradient[i + 1]) for i, name in enumerate(self.names)}

    def batch(self, widths: np.ndarray) -> Dict[str, np.ndarray]:
        """FLOPs and params of many candidates at once: ``widths`` is ``(N, len(names))`` in channels."""
        widths = np.asarray(widths, dtype=np.int64)
        vec = np.concatenate([np.ones((len(widths), 1), dtype=np.int64), widths], axis=1)
        return dict(flops=np.einsum('ni,ij,nj->n', vec, self._macs, vec),
                    params=np.einsum('ni,ij,nj->n', vec, self._params, vec))
