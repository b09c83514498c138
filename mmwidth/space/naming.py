"""Naming: what a person reads in a subnet file. Each group is named after the modules that write its channels
and lists the layers that read them."""
from typing import List, Sequence

from ..layers import layer_type
from .channel_graph import ChannelGroup, Layer
from .groups import GroupRecord


def common_prefix(paths: Sequence[str]) -> str:
    parts = [p.split('.') for p in paths]
    prefix = []
    for items in zip(*parts):
        if len(set(items)) != 1:
            break
        prefix.append(items[0])
    return '.'.join(prefix)


def add_members(groups: List[ChannelGroup], layers: List[Layer]) -> None:
    """Lists each group's members: ``layer:out`` for the layers that write it, ``layer:<role>[span]`` for those
    that read it (the role its family gives, the span of its channels among the layer's inputs)."""
    for layer in layers:
        if layer.output is not None:
            groups[layer.output].members.append(f'{layer.name}:out')
        role = layer_type(layer.kind).role(layer)
        offset = 0
        for seg in layer.inputs:
            width = groups[seg.group].channels * seg.factor
            span = '' if len(layer.inputs) == 1 and seg.factor == 1 else f'[{offset}:{offset + width}]'
            groups[seg.group].members.append(f'{layer.name}:{role}{span}')
            offset += width


def name_groups(groups: List[ChannelGroup], records: List[GroupRecord]) -> None:
    """Names each group after the modules that write its channels, so that subnet files can be read.

    A single producer names its group. A residual stream is named after the stage that holds its blocks,
    ``<stage>.residual``; the first producer (often the stem or the previous stage's transition) is left out
    when enough others say where the stream lives. Two streams in one stage get their block range:
    ``<stage>.<first>-<last>.residual``.
    """
    names = []
    for group, rec in zip(groups, records):
        producers = group.producers
        if not producers:
            names.append('input' if group.fixed_reason == 'network input' else f'constant@{rec.order}')
        elif len(producers) == 1 or not rec.tie_sites:
            names.append(producers[0])
        else:
            core = producers[1:] if len(producers) >= 3 else producers
            prefix = common_prefix(core)
            names.append(f'{prefix}.residual' if prefix else 'residual')
    repeated = {name for name in names if names.count(name) > 1 and name.endswith('residual')}
    for i, group in enumerate(groups):
        if names[i] in repeated:
            prefix = names[i][:-len('residual')]
            blocks = [p[len(prefix):].split('.')[0] for p in group.producers if p.startswith(prefix)]
            if blocks:
                names[i] = f'{prefix}{blocks[0]}-{blocks[-1]}.residual'
    taken = set()
    for group, name in zip(groups, names):
        if name in taken:
            name = f'{name}@{group.producers[0] if group.producers else len(taken)}'
        taken.add(name)
        group.name = name
