"""Analytic FLOPs and params of width configs, computed from a traced channel graph without building a model.

FLOPs follow the convention of the whole BCNet/CafeNet family: multiply-accumulates of conv and linear layers
(``H_out * W_out * C_out * C_in / groups * k_h * k_w`` and ``in * out``), and of attention layers (their
projections and their two matmuls, see :mod:`mmwidth.layers.attention`); bias, norms, activations, pooling and
adds are not counted, and the graph lists other multiplying ops it leaves out (``ChannelGraph.uncounted``).
Params count every parameter of the model. Each layer family adds its own terms
(:meth:`mmwidth.layers.ChannelLayer.add_costs`).

Both figures are quadratic forms in the widths of the searchable groups, ``w~' Q w~`` with ``w~ = [1, w]``, so
a whole population of candidates is evaluated by one matrix product. A group split into ``b`` blocks (grouped
convs, group norms) enters the form as its number of block rows ``w / b``: a grouped conv's
``C_out * C_in / groups`` is then an integer coefficient times ``(C_out / b_out) (C_in / b_in)``, since its
groups divide ``b_out``.

The forms read only the graph and the layer families, and the width space needs them to place FLOPs-sensitive
bins, so they live beside it; :mod:`mmwidth.estimators` counts built models against them and sits above the space.
"""
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch

from ..layers import layer_type
from .channel_graph import ChannelGraph, Layer


class ResourceEstimator:
    """FLOPs (MACs) and params of any widths of the searchable groups ``names`` of ``graph``.

    ``scope``: count only the layers and parameters under that module prefix (e.g. a detector's backbone).
    """

    def __init__(self, graph: ChannelGraph, names: Sequence[str], scope: Optional[str] = None):
        self.names = list(names)
        self._graph = graph
        self._scope = scope
        self._blocks = np.array([graph.group(name).blocks for name in self.names], dtype=np.int64)
        # Fold the fixed groups in at their full widths: w~ = P [1, s], s = widths of the searchable groups.
        self._fold = np.zeros((len(graph.groups) + 1, len(self.names) + 1), dtype=np.int64)
        self._fold[0, 0] = 1
        position = {name: i + 1 for i, name in enumerate(self.names)}
        for gid, group in enumerate(graph.groups):
            if group.name in position:
                self._fold[gid + 1, position[group.name]] = 1
            else:
                self._fold[gid + 1, 0] = group.channels // group.blocks
        layers = [layer for layer in graph.layers if self._inside(layer.name)]
        other = sum(size for name, size in graph.other_params.items() if self._inside(name))
        macs, params = self._forms(layers, other)
        self._macs, self._params = self._fold.T @ macs @ self._fold, self._fold.T @ params @ self._fold

    def _inside(self, name: str) -> bool:
        return self._scope is None or name.startswith(self._scope + '.')

    def _forms(self, layers: Sequence[Layer], other_params: int) -> Tuple[np.ndarray, np.ndarray]:
        """The MACs and params forms of ``layers`` and ``other_params`` fixed parameters, in the block rows of
        every group."""
        size = len(self._graph.groups) + 1
        macs = np.zeros((size, size), dtype=np.int64)
        params = np.zeros_like(macs)
        params[0, 0] = other_params
        blocks = [group.blocks for group in self._graph.groups]
        for layer in layers:  # each family adds its own terms (bilinear out x in, linear per channel)
            layer_type(layer.kind).add_costs(layer, blocks, macs, params)
        return macs, params

    def _vector(self, widths: Dict[str, int]) -> np.ndarray:
        return self._rows(np.array([[widths[name] for name in self.names]], dtype=np.int64))[0]

    def _rows(self, widths: np.ndarray) -> np.ndarray:
        """``[1, w / b]`` for each row of widths in channels."""
        if (widths % self._blocks).any():
            raise ValueError('a width is not a multiple of its group\'s blocks')
        return np.concatenate([np.ones((len(widths), 1), dtype=np.int64), widths // self._blocks], axis=1)

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

    @property
    def params_matrix(self) -> np.ndarray:
        """The params form, as :attr:`flops_matrix` (a copy)."""
        return self._params.copy()

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
        return {name: int(gradient[i + 1] // self._blocks[i]) for i, name in enumerate(self.names)}

    def per_module(self, widths: Dict[str, int]) -> Dict[str, Tuple[int, int]]:
        """Module name -> (FLOPs, params) at ``widths``: each traced layer's, and the fixed parameters each other
        module holds itself (what :func:`~mmwidth.estimators.counter.count_per_module` counts on the export)."""
        vec = self._fold @ self._vector(widths)  # every group's block rows
        costs = {}
        for layer in self._graph.layers:
            if self._inside(layer.name):
                macs, params = self._forms([layer], 0)
                costs[layer.name] = (int(vec @ macs @ vec), int(vec @ params @ vec))
        for name, size in self._graph.other_params.items():
            if self._inside(name):
                module = name.rpartition('.')[0]
                flops, params = costs.get(module, (0, 0))
                costs[module] = (flops, params + size)
        return costs

    def batch(self, widths: np.ndarray) -> Dict[str, np.ndarray]:
        """FLOPs and params of many candidates at once: ``widths`` is ``(N, len(names))`` in channels."""
        vec = self._rows(np.asarray(widths, dtype=np.int64).reshape(-1, len(self.names)))
        return dict(flops=np.einsum('ni,ij,nj->n', vec, self._macs, vec),
                    params=np.einsum('ni,ij,nj->n', vec, self._params, vec))
