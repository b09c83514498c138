"""Dynamic conv, linear and norm layers.

A layer becomes dynamic by swapping its class for a subclass that mixes one of these in: the layer keeps its
full-size parameters and its own ``forward`` (so subclasses such as mmcv's ``Conv2dAdaptivePadding``,
``SyncBatchNorm`` or mmpretrain's ``LayerNorm2d`` keep their behaviour), but ``weight``, ``bias``, the running
statistics, a depthwise conv's ``groups`` and a layer norm's ``normalized_shape`` are read through the active
index sets. Contiguous index sets give views, others gather. State dicts, optimisers and ``.to()`` still see the
full tensors.
"""
from typing import Callable, Dict, Optional, Type

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd

from ..sharing.index_sets import IndexSet, block_positions, width_of
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


class DynamicLayerMixin:
    """Index sets of a dynamic layer: ``mmwidth_in`` for input channels, ``mmwidth_out`` for output channels
    (a norm's and a depthwise conv's channels are their ``mmwidth_out``). ``None`` means every channel."""
    mmwidth_in: IndexSet = None
    mmwidth_out: IndexSet = None
    # Called with the layer before each training forward pass (e.g. to count which channels were trained).
    mmwidth_monitor: Optional[Callable[[nn.Module], None]] = None

    def forward(self, *args, **kwargs):
        if self.training and self.mmwidth_monitor is not None:
            self.mmwidth_monitor(self)
        return super().forward(*args, **kwargs)


def conv_weight(weight: torch.Tensor, in_index: IndexSet, out_index: IndexSet, groups: int, transposed: bool,
                depthwise: bool) -> torch.Tensor:
    """The part of a conv's full ``weight`` (out x in-per-group, or in x out-per-group when ``transposed``)
    that maps the channels ``in_index`` to ``out_index``. The per-group dimension is indexed by the positions
    inside one group, which are the same in every group; a depthwise conv's channels are its ``out_index``."""
    if depthwise:
        return take(weight, 0, out_index)
    if transposed:
        return take_weight(weight, in_index, block_positions(out_index, groups), contiguous=True)
    return take_weight(weight, out_index, block_positions(in_index, groups), contiguous=True)


class DynamicConvMixin(DynamicLayerMixin):
    mmwidth_depthwise: bool = False

    @property
    def weight(self) -> torch.Tensor:
        return conv_weight(self._parameters['weight'], self.mmwidth_in, self.mmwidth_out, self.__dict__['groups'],
                           self.transposed, self.mmwidth_depthwise)

    @property
    def bias(self) -> Optional[torch.Tensor]:
        return take(self._parameters['bias'], 0, self.mmwidth_out)

    @property
    def groups(self) -> int:
        if self.mmwidth_depthwise and self.mmwidth_out is not None:
            return width_of(self.mmwidth_out, self.__dict__['groups'])
        return self.__dict__['groups']

    @groups.setter
    def groups(self, value: int) -> None:
        self.__dict__['groups'] = value


class DynamicLinearMixin(DynamicLayerMixin):

    @property
    def weight(self) -> torch.Tensor:
        return take_weight(self._parameters['weight'], self.mmwidth_out, self.mmwidth_in, contiguous=False)

    @property
    def bias(self) -> Optional[torch.Tensor]:
        return take(self._parameters['bias'], 0, self.mmwidth_out)


class DynamicNormMixin(DynamicLayerMixin):
    """A norm's weight and bias are those of its channels (``mmwidth_out``); a group norm keeps its number of
    groups, the width being a multiple of them."""

    @property
    def weight(self) -> Optional[torch.Tensor]:
        return take(self._parameters['weight'], 0, self.mmwidth_out)

    @property
    def bias(self) -> Optional[torch.Tensor]:
        return take(self._parameters['bias'], 0, self.mmwidth_out)


class DynamicLayerNormMixin(DynamicNormMixin):
    """A layer norm over the channels normalises the active ones: ``normalized_shape`` follows the width."""

    @property
    def normalized_shape(self) -> tuple:
        full = self.__dict__['normalized_shape']
        return full if self.mmwidth_out is None else (width_of(self.mmwidth_out, full[0]), )

    @normalized_shape.setter
    def normalized_shape(self, value: tuple) -> None:
        self.__dict__['normalized_shape'] = value


class DynamicBatchNormMixin(DynamicNormMixin):
    # Gathered running statistics handed to the norm during one forward pass (written back after a training one).
    _mmwidth_gathered: Optional[Dict[str, torch.Tensor]] = None

    @property
    def running_mean(self) -> Optional[torch.Tensor]:
        return self._statistic('running_mean')

    @property
    def running_var(self) -> Optional[torch.Tensor]:
        return self._statistic('running_var')

    def _statistic(self, name: str) -> Optional[torch.Tensor]:
        if self._mmwidth_gathered is not None:
            return self._mmwidth_gathered[name]
        return take(self._buffers[name], 0, self.mmwidth_out)

    def forward(self, *args, **kwargs):
        index = self.mmwidth_out
        if not (isinstance(index, torch.Tensor) and self.track_running_stats):
            return super().forward(*args, **kwargs)
        # A gather copies the statistics: once per pass (the norm reads each several times), and after a training
        # pass, whose update is in place on the copies, scattered back.
        names = ('running_mean', 'running_var')
        self._mmwidth_gathered = {name: self._buffers[name][index] for name in names}
        try:
            return super().forward(*args, **kwargs)
        finally:
            if self.training:
                with torch.no_grad():
                    for name in names:
                        self._buffers[name][index] = self._mmwidth_gathered[name]
            self._mmwidth_gathered = None


MIXINS = ((_ConvNd, DynamicConvMixin), (nn.Linear, DynamicLinearMixin), (_BatchNorm, DynamicBatchNormMixin),
          (nn.GroupNorm, DynamicNormMixin), (nn.LayerNorm, DynamicLayerNormMixin))
_dynamic_classes: Dict[type, type] = {}


def dynamic_class(base: Type[nn.Module]) -> type:
    """The dynamic subclass of a conv, linear, batch-, group- or layer-norm class (one per class, so it is
    stable)."""
    if base not in _dynamic_classes:
        mixin = next((mix for kind, mix in MIXINS if issubclass(base, kind)), None)
        if mixin is None:
            raise TypeError(f'{base.__name__} has no dynamic version (only conv, linear, batch, group and layer norm)')
        _dynamic_classes[base] = type(f'Dynamic{base.__name__}', (mixin, base), dict(mmwidth_base=base))
    return _dynamic_classes[base]


def make_dynamic(module: nn.Module, depthwise: bool = False) -> nn.Module:
    """Turns ``module`` into its dynamic version in place (same parameters, same forward)."""
    if not isinstance(module, DynamicLayerMixin):
        module.__class__ = dynamic_class(type(module))
    module.mmwidth_depthwise = depthwise
    return module


def make_static(module: nn.Module) -> nn.Module:
    """Turns a dynamic layer back into its own class in place."""
    if isinstance(module, DynamicLayerMixin):
        module.__class__ = module.mmwidth_base
        for attr in ('mmwidth_in', 'mmwidth_out', 'mmwidth_monitor', 'mmwidth_depthwise', '_mmwidth_gathered'):
            module.__dict__.pop(attr, None)
    return module
