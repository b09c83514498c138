"""Concatenation, splits, slices and indexing: each part keeps the segments of the channels it covers."""
from typing import Any, List, Optional, Sequence

from torch.fx.passes.shape_prop import TensorMetadata

from ..channel_graph import Segment
from ..trace_values import NOT_TENSOR, Layout, TracedConst, TracedTensor, is_sequence, normal_dim
from .base import channel_op

CAT_OPS = frozenset({'cat', 'concat', 'concatenate'})
SPLIT_OPS = frozenset({'chunk', 'split', 'unbind', 'tensor_split'})


@channel_op(*CAT_OPS, 'stack', needs='values')
def cat(trace: Any, op: str, x: Optional[TracedTensor], args: tuple, kwargs: dict, meta: Any,
        where: str) -> Any:
    """Concatenation along the channels joins the layouts; along another dimension (or stacking into a new
    one) every part must have the same channels; a parameter joined along another dimension to channels-last
    ones (a ViT's cls token before its patch tokens) is sliced with them."""
    items = args[0]
    dim = kwargs.get('dim', args[1] if len(args) > 1 else 0)
    like = next((t for t in items if isinstance(t, TracedTensor) and t.layout is not None), None)
    if like is not None and op != 'stack' and normal_dim(dim, len(meta.shape)) != like.channel_dim:
        items = [(trace.adopt(t, like) or t) if isinstance(t, TracedConst) else t for t in items]
    if any(not isinstance(t, TracedTensor) for t in items):
        return trace.unknown(f'{op} of tensors without traced channels', where, args, meta)
    if op != 'stack' and isinstance(dim, int):
        items = [trace.groups.untraced_channels(t, dim, where) if t.layout is None else t for t in items]
    if any(t.layout is None for t in items):
        return trace.unknown(f'{op} of tensors without traced channels', where, args, meta)
    dims = {t.channel_dim for t in items}
    if len(dims) > 1:
        reason = f'concatenated with a different channel dimension in {where}'
        trace.groups.fix_value(items, reason)
        return trace.opaque(meta, reason)
    channel_dim = dims.pop()
    dim = normal_dim(dim, len(meta.shape))
    if op == 'stack':
        channel_dim += int(dim <= channel_dim)
    elif dim == channel_dim:
        return TracedTensor(meta.shape, tuple(seg for t in items for seg in t.layout), channel_dim)
    layout = items[0].layout
    for other in items[1:]:
        layout = trace.groups.tie(layout, other.layout, None, where)
    return TracedTensor(meta.shape, layout, channel_dim)


def _slice(trace: Any, layout: Layout, start: int, stop: int, where: str) -> Layout:
    """The segments of channels ``[start, stop)`` of ``layout`` (the inverse of concatenation offsets). A
    group cut by the slice is fixed, and its part becomes a new fixed group."""
    sliced, offset = [], 0
    for seg in layout:
        size = trace.groups.seg_size(seg)
        low, high = max(start, offset), min(stop, offset + size)
        if low < high:
            if (low, high) == (offset, offset + size):
                sliced.append(seg)
            else:
                reason = f'split through its channels in {where}'
                trace.groups.fix((seg, ), reason)
                sliced.append(Segment(trace.groups.new_group(high - low, fixed=reason)))
        offset += size
    return tuple(sliced)


def _pin(trace: Any, layout: Layout, end: int, where: str) -> None:
    """Channel offsets that the model's code holds as numbers stay right only while the channels before them
    keep their width: fixes the groups of the first ``end`` channels."""
    offset = 0
    for seg in layout:
        if offset >= end:
            break
        trace.groups.fix((seg, ), f'sliced at fixed channel offsets in {where}')
        offset += trace.groups.seg_size(seg)


def _parts(trace: Any, layout: Layout, sizes: Sequence[int], where: str) -> List[Layout]:
    """Equal parts (chunk): their offsets follow the width when every part has the same segments, which are
    then tied part by part; otherwise every group is kept."""
    parts, offset = [], 0
    for size in sizes:
        parts.append(_slice(trace, layout, offset, offset + size, where))
        offset += size
    shape = lambda part: [(trace.groups.seg_size(s), s.factor) for s in part]  # noqa: E731
    if all(shape(part) == shape(parts[0]) for part in parts):
        for part in parts[1:]:
            for first, seg in zip(parts[0], part):
                trace.groups.union(first.group, seg.group, None)
    else:
        trace.groups.fix(layout, f'split into equal parts across unequal groups in {where}')
    return parts


@channel_op(*SPLIT_OPS, needs='tensor')
def split(trace: Any, op: str, x: TracedTensor, args: tuple, kwargs: dict, meta: Any, where: str) -> Any:
    """chunk/split/tensor_split/unbind: along the channels, each part keeps its channels' segments."""
    position = 1 if op == 'unbind' else 2
    dim = kwargs.get('dim', args[position] if len(args) > position else 0)
    if not isinstance(dim, int) or not is_sequence(meta):
        return trace.unknown(f'{op} along a dimension computed at run time', where, args, meta)
    dim = normal_dim(dim, len(x.shape))
    if dim != x.channel_dim:
        channel_dim = x.channel_dim - int(op == 'unbind' and dim < x.channel_dim)
        return type(meta)(TracedTensor(m.shape, x.layout, channel_dim) for m in meta)
    if op == 'unbind':
        reason = f'unbound along channels in {where}'
        trace.groups.fix(x.layout, reason)
        return trace.opaque(meta, reason)
    sizes = [int(m.shape[dim]) for m in meta]
    sections = args[1] if len(args) > 1 else None
    if op == 'chunk' or (op == 'tensor_split' and isinstance(sections, int)):
        layouts = _parts(trace, x.layout, sizes, where)
    else:  # sizes or indices held as numbers
        _pin(trace, x.layout, sum(sizes) if op == 'split' else sum(sizes[:-1]), where)
        offsets = [sum(sizes[:i]) for i in range(len(sizes) + 1)]
        layouts = [_slice(trace, x.layout, offsets[i], offsets[i + 1], where) for i in range(len(sizes))]
    return type(meta)(TracedTensor(m.shape, layout, dim) for m, layout in zip(meta, layouts))


@channel_op('narrow', needs='tensor')
def narrow(trace: Any, op: str, x: TracedTensor, args: tuple, kwargs: dict, meta: Any, where: str) -> Any:
    values = list(args[1:]) + [kwargs[k] for k in ('dim', 'start', 'length') if k in kwargs]
    if len(values) != 3 or not all(isinstance(v, int) for v in values):
        return trace.unknown('narrow by sizes computed at run time', where, args, meta)
    dim, start, length = values
    dim = normal_dim(dim, len(x.shape))
    if dim != x.channel_dim:
        return TracedTensor(meta.shape, x.layout, x.channel_dim)
    start = normal_dim(start, x.shape[dim])
    _pin(trace, x.layout, start + length, where)
    return TracedTensor(meta.shape, _slice(trace, x.layout, start, start + length, where), dim)


@channel_op('getitem', needs='values')
def getitem(trace: Any, op: str, x: Optional[TracedTensor], args: tuple, kwargs: dict, meta: Any,
            where: str) -> Any:
    container, index = args[0], args[1]
    if isinstance(container, (tuple, list)):
        return container[index]
    if isinstance(container, TracedConst):
        return TracedConst(meta.shape) if isinstance(meta, TensorMetadata) else NOT_TENSOR
    if not isinstance(container, TracedTensor):
        return NOT_TENSOR
    if container.layout is None:
        return TracedTensor(meta.shape, None)
    return _index(trace, container, index if isinstance(index, tuple) else (index, ), meta, where)


def _index(trace: Any, x: TracedTensor, index: tuple, meta: Any, where: str) -> Any:
    """Basic indexing (ints, slices, None, ...): a slice of the channels keeps the segments it covers."""
    if not all(isinstance(i, (int, slice, type(None))) or i is Ellipsis for i in index) or \
            any(isinstance(i, slice) and not all(isinstance(v, (int, type(None)))
                                                 for v in (i.start, i.stop, i.step)) for i in index):
        return _index_unknown(trace, x, index, meta, where)
    consumed = sum(1 for i in index if i is not None and i is not Ellipsis)
    expanded = []
    for i in index:
        expanded += [slice(None)] * (len(x.shape) - consumed) if i is Ellipsis else [i]
    dim, out_dim, layout, channel_dim = 0, 0, x.layout, None
    for i in expanded:
        if i is None:
            out_dim += 1
            continue
        if dim == x.channel_dim:
            if isinstance(i, int):
                return _index_unknown(trace, x, index, meta, where)
            size = int(x.shape[dim])
            start, stop, step = i.indices(size)
            if step != 1:
                return _index_unknown(trace, x, index, meta, where)
            to_end = i.stop is None or i.stop >= size  # slicing clamps: narrower channels still end there
            backwards = any(v is not None and v < 0 for v in (i.start, i.stop))
            _pin(trace, x.layout, size if backwards else start if to_end else stop, where)
            layout, channel_dim = _slice(trace, x.layout, start, stop, where), out_dim
        out_dim += int(not isinstance(i, int))
        dim += 1
    if channel_dim is None:
        channel_dim = out_dim + x.channel_dim - dim
    return TracedTensor(meta.shape, layout, channel_dim)


def _index_unknown(trace: Any, x: TracedTensor, index: tuple, meta: Any, where: str) -> Any:
    reason = f'indexed along channels in {where}'
    trace.groups.fix(x.layout, reason)
    return trace.opaque(meta, reason)
