"""Dynamic layers: the switch between a layer's class and its dynamic subclass, and the channel slicing that
every family's dynamic form (:mod:`mmwidth.layers`) reads its tensors with.

A layer becomes dynamic by swapping its class for a subclass that mixes its family's dynamic form in: the layer
keeps its full-size parameters and its own ``forward`` (so subclasses such as mmcv's ``Conv2dAdaptivePadding``,
``SyncBatchNorm`` or mmpretrain's ``LayerNorm2d`` keep their behaviour), but ``weight``, ``bias``, the running
statistics, a depthwise conv's ``groups`` and a layer norm's ``normalized_shape`` are read through the active
index sets. Contiguous index sets give views, others gather. State dicts, optimisers and ``.to()`` still see the
full tensors.
"""
from typing import Dict, Optional, Tuple, Type

import torch
from torch import nn

from ..layers.base import ChannelLayer, DynamicLayerMixin, layer_type, layer_type_of
from ..space.channel_graph import Layer
from ..sharing.index_sets import IndexSet
from .gradient_buffers import zero_gradient


def take(tensor: Optional[torch.Tensor], dim: int, index: IndexSet) -> Optional[torch.Tensor]:
    """The channels ``index`` of ``tensor`` along ``dim``: a view for slices, a gather otherwise."""
    if tensor is None or index is None:
        return tensor
    if isinstance(index, slice):
        return tensor.narrow(dim, index.start, index.stop - index.start)
    return tensor.index_select(dim, index)


class _WeightBlock(torch.autograd.Function):
    """``weight[rows][:, columns]`` as one contiguous copy. Autograd's chain of a slice or gather per dimension and
    a contiguous copy would, in the backward pass, zero-fill and copy into one tensor per step of the chain; here
    the gradient is written into one zero tensor of the weight's size, reused across steps (``zero_gradient``).
    Writing rather than accumulating is valid because index sets hold distinct channels, and is faster on CPUs,
    where accumulating index_put sorts first."""

    @staticmethod
    def forward(ctx, weight: torch.Tensor, rows: IndexSet, columns: IndexSet) -> torch.Tensor:
        both = isinstance(rows, torch.Tensor) and isinstance(columns, torch.Tensor)
        ctx.key = (rows[:, None], columns[None, :]) if both else tuple(
            slice(None) if index is None else index for index in (rows, columns))
        ctx.weight = weight
        if isinstance(rows, torch.Tensor) and not both:  # the columns' view first: the gather is the only copy
            return take(take(weight, 1, columns), 0, rows).contiguous()
        return take(take(weight, 0, rows), 1, columns).contiguous()

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        full = zero_gradient(ctx.weight)
        full[ctx.key] = grad
        return full, None, None


def take_weight(weight: torch.Tensor, out_index: IndexSet, in_index: IndexSet, contiguous: bool) -> torch.Tensor:
    """The output (dim 0) and input (dim 1) channels of a weight with as few copies as possible: a view where
    slices give one that serves (contiguous, or any for ``contiguous=False``: linear layers), else one block copy
    (convs' kernels need contiguous weights: copied once here, not by the forward and again the backward pass)."""
    if not isinstance(out_index, torch.Tensor) and not isinstance(in_index, torch.Tensor):
        view = take(take(weight, 0, out_index), 1, in_index)
        if not contiguous or view.is_contiguous():
            return view
    return _WeightBlock.apply(weight, out_index, in_index)


_dynamic_classes: Dict[Tuple[type, str], type] = {}


def dynamic_class(base: Type[nn.Module], family: ChannelLayer) -> type:
    """The dynamic subclass of a layer class for a family's records (one per class and family, so it is
    stable)."""
    key = (base, family.kind)
    if key not in _dynamic_classes:
        _dynamic_classes[key] = type(f'Dynamic{base.__name__}', (family.dynamic_form(base), base),
                                     dict(mmwidth_base=base))
    return _dynamic_classes[key]


def make_dynamic(module: nn.Module, layer: Optional[Layer] = None) -> nn.Module:
    """Turns ``module`` into the dynamic version its traced record ``layer`` needs, in place (same parameters,
    same forward); without a record, the version of the family that owns its class, as a layer of its own."""
    family = layer_type(layer.kind) if layer is not None else layer_type_of(module)
    if family is None:
        raise TypeError(f'{type(module).__name__} has no dynamic version: no family in CHANNEL_LAYERS owns it')
    if not isinstance(module, DynamicLayerMixin):
        module.__class__ = dynamic_class(type(module), family)
    if layer is not None:
        family.attach(module, layer)
    return module


def make_static(module: nn.Module) -> nn.Module:
    """Turns a dynamic layer back into its own class in place."""
    if isinstance(module, DynamicLayerMixin):
        module.__class__ = module.mmwidth_base
        for attr in [name for name in module.__dict__ if name.startswith(('mmwidth_', '_mmwidth_'))]:
            del module.__dict__[attr]
    return module
