"""Element-wise ops: maps that keep every channel where it is, ops that only read their input's shape, and
binary ops (sums tie their operands' channels, products too)."""
from typing import Any, Optional

import torch
from torch import nn
from torch.fx.passes.shape_prop import TensorMetadata

from ..trace_values import NOT_TENSOR, TracedConst, TracedTensor
from .base import channel_op

# Ops that keep every channel where it is (element-wise maps, spatial resampling, casts, dropout).
PASSTHROUGH_OPS = frozenset({
    'relu', 'relu_', 'relu6', 'leaky_relu', 'leaky_relu_', 'elu', 'gelu', 'silu', 'sigmoid', 'sigmoid_',
    'tanh', 'tanh_', 'hardswish', 'hardsigmoid', 'hardtanh', 'hardtanh_', 'mish', 'softplus', 'selu', 'celu',
    'dropout', 'dropout_', 'dropout2d', 'dropout3d', 'alpha_dropout', 'drop_path', 'max_pool1d', 'max_pool2d',
    'max_pool3d', 'avg_pool1d', 'avg_pool2d', 'avg_pool3d', 'adaptive_avg_pool1d', 'adaptive_avg_pool2d',
    'adaptive_avg_pool3d', 'adaptive_max_pool1d', 'adaptive_max_pool2d', 'adaptive_max_pool3d',
    'interpolate', 'upsample', 'pad', 'contiguous', 'clone', 'detach', 'float', 'half', 'double', 'to',
    'type', 'type_as', 'softmax', 'log_softmax', 'clamp', 'clamp_', 'clip', 'abs', 'neg', 'exp', 'sqrt',
    'rsqrt', 'square', 'pow', 'normalize', 'sign', 'reciprocal', 'expand', 'expand_as',
})
# Ops whose values do not depend on their input tensor, only its shape.
CONSTANT_LIKE_OPS = frozenset({'zeros_like', 'ones_like', 'full_like', 'empty_like', 'new_zeros', 'new_ones',
                               'new_full', 'new_empty', 'new_tensor'})
BINARY_OPS = frozenset({
    'add', 'add_', 'iadd', 'radd', 'sub', 'sub_', 'isub', 'rsub', 'mul', 'mul_', 'imul', 'rmul', 'truediv', 'div',
    'div_', 'itruediv', 'rtruediv', 'rdiv', 'maximum', 'minimum', 'where',
})
# Ops on sizes, dims and attributes: no tensor comes out.
METADATA_OPS = frozenset({'size', 'dim', 'numel', 'getattr', 'len'})
SUMS = frozenset({'add', 'add_', 'iadd', 'radd', 'sub', 'sub_', 'isub', 'rsub'})
# Modules that keep every channel where it is.
PASSTHROUGH_MODULES = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Sigmoid, nn.Tanh, nn.Hardswish,
    nn.Hardsigmoid, nn.Hardtanh, nn.Mish, nn.Softplus, nn.SELU, nn.CELU, nn.Dropout, nn.Dropout1d, nn.Dropout2d,
    nn.Dropout3d, nn.AlphaDropout, nn.Identity, nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d,
    nn.AvgPool2d, nn.AvgPool3d, nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d,
    nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d, nn.Upsample, nn.ZeroPad2d,
    nn.ConstantPad2d, nn.ReflectionPad2d, nn.ReplicationPad2d, nn.Softmax, nn.LogSoftmax,
)


@channel_op(*PASSTHROUGH_OPS, needs='tensor')
def passthrough(trace: Any, op: str, x: TracedTensor, args: tuple, kwargs: dict, meta: Any, where: str) -> Any:
    if not isinstance(meta, TensorMetadata):
        return trace.unknown(op, where, args, meta)
    if len(meta.shape) != len(x.shape):
        trace.groups.fix(x.layout, f'{op} changes the number of dimensions in {where}')
        return TracedTensor(meta.shape, None)
    if x.layout is not None and meta.shape[x.channel_dim] != x.shape[x.channel_dim]:
        return trace.unknown(f'{op} that changes the number of channels', where, args, meta)
    return TracedTensor(meta.shape, x.layout, x.channel_dim)


@channel_op(*CONSTANT_LIKE_OPS, needs='tensor')
def constant_like(trace: Any, op: str, x: TracedTensor, args: tuple, kwargs: dict, meta: Any, where: str) -> Any:
    if not isinstance(meta, TensorMetadata):
        return trace.unknown(op, where, args, meta)
    return TracedConst(meta.shape)  # only the shape comes from the input


@channel_op(*METADATA_OPS, needs='values')
def metadata(trace: Any, op: str, x: Optional[TracedTensor], args: tuple, kwargs: dict, meta: Any,
             where: str) -> Any:
    return NOT_TENSOR


@channel_op(*BINARY_OPS, needs='values')
def binary(trace: Any, op: str, x: Optional[TracedTensor], args: tuple, kwargs: dict, meta: Any,
           where: str) -> TracedTensor:
    """Element-wise products and sums tie the channels of their full-width operands (a residual add names its
    group's site); a parameter along channels-last ones is sliced with them (:meth:`adopt`); any other operand
    that varies along the channels without a traced layout fixes them."""
    shape = meta.shape
    tensors = [a for a in args if isinstance(a, TracedTensor) and a.layout is not None and len(a.shape) == len(shape)]
    dim = tensors[0].channel_dim if tensors else 1
    full = [t for t in tensors if t.channel_dim == dim and len(shape) >= 2 and t.shape[dim] == shape[dim] > 1]
    for arg in args:
        if isinstance(arg, (TracedConst, TracedTensor)) and not any(arg is t for t in full) and \
                _per_channel(arg.shape, shape, dim) and not (full and trace.adopt(arg, full[0])):
            trace.groups.fix_value(args, f'scaled by a per-channel tensor in {where}')
    if not full:
        return TracedTensor(shape, tensors[0].layout if tensors else None, dim)
    site = where if op in SUMS else None
    layout = full[0].layout
    for other in full[1:]:
        layout = trace.groups.tie(layout, other.layout, site, where)
    return TracedTensor(shape, layout, dim)


def _per_channel(arg_shape: torch.Size, out_shape: torch.Size, channel_dim: int) -> bool:
    """Whether an operand without a traced layout still varies along the channel dimension (broadcast from
    the right, as torch does)."""
    dim = channel_dim - (len(out_shape) - len(arg_shape))
    return len(out_shape) >= 2 and 0 <= dim < len(arg_shape) and arg_shape[dim] > 1
