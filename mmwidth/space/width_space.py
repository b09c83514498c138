"""The width space: the searchable channel groups of a model and the widths each of them may take."""
import difflib
import hashlib
import json
import math
from typing import Dict, List, Mapping, Optional, Sequence, Union

import numpy as np
from torch import nn

from .resource_estimator import ResourceEstimator
from ..utils.errors import ConfigError, WidthSearchError
from .channel_graph import ChannelGraph, ChannelGroup
from .tracer import ChannelTracer

Subnet = Dict[str, int]
SPACE_OPTIONS = ('input_shape', 'scope', 'exclude', 'strict', 'fixed_modules', 'tie', 'fix', 'ratios', 'bins',
                 'flops_bins', 'min_bins', 'max_bins', 'divisor')


class SubnetError(WidthSearchError, ValueError):
    """A width config does not fit the width space (unknown or missing groups, widths out of range)."""


def bin_edges(channels: int, ratios: Optional[Sequence[float]] = None, bins: Optional[int] = None,
              bin_size: Optional[int] = None, divisor: int = 1, blocks: int = 1) -> List[int]:
    """The bin edges of a group of ``channels``: keeping ``c`` bins keeps ``edges[c - 1]`` channels.

    ``bins``: ``B`` bins, bin ``c`` ends at ``ceil(c * channels / B)`` (with fewer channels than bins some bins
    are empty, so that ``c`` still counts bins). ``ratios``: edges at ``ceil(r * channels)``. ``bin_size``:
    bins of that many channels, the last one ragged. None of them: every channel is a bin. ``divisor`` rounds
    each edge to the nearest multiple (at least one divisor, at most ``channels``); edges that become equal
    are kept once. A group split into ``blocks`` (grouped convs, group norms) takes its bins in one block of
    ``channels / blocks`` and keeps them in every block: its edges are ``blocks`` times those of one block,
    multiples of both ``blocks`` and ``divisor``.
    """
    if sum(option is not None for option in (ratios, bins, bin_size)) > 1:
        raise ConfigError('give only one of ratios, bins and FLOPs-sensitive bins for the width choices')
    for option, value in (('bins', bins), ('divisor', divisor)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise ConfigError(f'width_space: {option} must be an integer, got {value!r}')
    if ratios is not None and (isinstance(ratios, str) or not all(isinstance(r, (int, float)) for r in ratios)):
        raise ConfigError(f'width_space: ratios must be a list of numbers in (0, 1], got {ratios!r}')
    if divisor < 1:
        raise ConfigError(f'the channel divisor must be >= 1, got {divisor}')
    if blocks > 1:
        block_size = None if bin_size is None else -(-bin_size // blocks)
        edges = bin_edges(channels // blocks, ratios, bins, block_size, divisor // math.gcd(divisor, blocks))
        return [blocks * edge for edge in edges]
    if ratios is not None:
        if not ratios or any(not 0 < r <= 1 for r in ratios):
            raise ConfigError(f'width ratios must lie in (0, 1], got {list(ratios)}')
        raw = sorted(set(math.ceil(r * channels - 1e-9) for r in ratios))
    elif bins is not None:
        if bins < 1:
            raise ConfigError(f'bins must be >= 1, got {bins}')
        raw = [-(-c * channels // bins) for c in range(1, bins + 1)]
    else:
        size = bin_size or 1
        raw = list(range(size, channels, size)) + [channels]
    if divisor > 1:
        raw = sorted(set(min(channels, max(divisor, int(k / divisor + 0.5) * divisor)) for k in raw))
    return [max(1, k) for k in raw]


def channel_choices(edges: Sequence[int], min_bins: int = 1, max_bins: Optional[int] = None) -> List[int]:
    """The distinct widths a group may take: the edges from ``min_bins`` to ``max_bins`` bins (default: all)."""
    last = len(edges) if max_bins is None else max_bins
    if not 1 <= min_bins <= last <= len(edges):
        raise ConfigError(f'need 1 <= min_bins <= max_bins <= {len(edges)} bins, got min_bins={min_bins}, '
                          f'max_bins={max_bins}')
    return sorted(set(edges[min_bins - 1:last]))


def flops_sensitive_bin_sizes(estimator: ResourceEstimator, full: Mapping[str, int], min_bin: int,
                              max_bin: int) -> Dict[str, int]:
    """CafeNet's FLOPs-sensitive bins: a group whose channel costs ``f`` FLOPs gets bins of
    ``clip(2^ceil(log2(max f / f)), min_bin, max_bin)`` channels, so that every bin costs about the same."""
    cost = estimator.flops_per_channel(full)
    top = max(cost.values())
    return {name: int(np.clip(2**math.ceil(math.log2(top / max(f, 1))), min_bin, max_bin))
            for name, f in cost.items()}


class WidthSpace:
    """Searchable groups of a traced model with their width choices, FLOPs/params and subnet checks.

    Args:
        graph: the traced :class:`ChannelGraph`.
        ratios / bins / divisor: the bins of every group (see :func:`bin_edges`).
        flops_bins: ``dict(min_bin, max_bin)`` for FLOPs-sensitive bins instead (CafeNet).
        min_bins / max_bins: the choices are the widths of ``min_bins`` to ``max_bins`` bins (BCNetV2 searches
            ``[m, N]`` in a supernet widened to ``N + m`` bins).
        edges: explicit bin edges of some groups, which then ignore ``ratios``/``bins``/``flops_bins`` (BCNetV2's
            widened layout: the base network's ``N`` edges, then ``m`` bins beyond them).
        tie: lists of group names that must share one width (and one index set).
        fix: group names kept at full width, or a mapping name -> channels kept in every subnet.
    """

    def __init__(self, graph: ChannelGraph, ratios: Optional[Sequence[float]] = None, bins: Optional[int] = None,
                 flops_bins: Optional[Mapping[str, int]] = None, min_bins: int = 1, max_bins: Optional[int] = None,
                 divisor: int = 1, tie: Sequence[Sequence[str]] = (),
                 fix: Union[Sequence[str], Mapping[str, int], None] = None,
                 edges: Optional[Mapping[str, Sequence[int]]] = None):
        for names in tie:
            self._check_names('tie', names, [g.name for g in graph.groups])
        self.graph = graph.tied(tie) if tie else graph
        self.groups: List[ChannelGroup] = [g for g in self.graph.groups if g.searchable]
        self.names = [g.name for g in self.groups]
        # Grouped convs and group norms split a group into blocks: widths are multiples of them.
        self.blocks: Dict[str, int] = {g.name: g.blocks for g in self.groups}
        self.estimator = ResourceEstimator(self.graph, self.names)
        sizes = flops_sensitive_bin_sizes(self.estimator, self.full(), **flops_bins) if flops_bins else {}
        edges = edges or {}
        self.edges: Dict[str, List[int]] = {
            g.name: list(edges[g.name]) if g.name in edges else
            bin_edges(g.channels, ratios, bins, sizes.get(g.name), divisor, g.blocks) for g in self.groups}
        self.choices: Dict[str, List[int]] = {
            name: channel_choices(edges, min_bins, max_bins) for name, edges in self.edges.items()}
        fix = dict.fromkeys(fix) if fix is not None and not isinstance(fix, Mapping) else dict(fix or {})
        self._check_names('fix', list(fix), self.names)
        for name, width in fix.items():
            full = self.channels(name)
            width = full if width is None else width
            if not isinstance(width, int) or not 1 <= width <= full or width % self.blocks[name]:
                raise ConfigError(f'fix: group "{name}" has {full} channels in {self.blocks[name]} blocks; cannot '
                                  f'fix it at {width}')
            self.choices[name] = [width]

    @classmethod
    def from_model(cls, model: nn.Module, input_shape: Sequence[int], scope: Optional[Sequence[str]] = None,
                   exclude: Sequence[str] = (), strict: bool = True, fixed_modules: Sequence[str] = (),
                   **options) -> 'WidthSpace':
        """Traces ``model`` at ``input_shape`` (C, H, W) (see :class:`ChannelTracer` for the tracing options) and
        builds its width space."""
        graph = ChannelTracer(scope=scope, exclude=exclude, strict=strict,
                              fixed_modules=fixed_modules).trace(model, input_shape)
        if scope and not any(group.searchable for group in graph.groups):
            raise ConfigError(f'width_space: no searchable channel group in {type(model).__name__} under '
                              f'scope={list(scope)} (a scope names module prefixes such as "backbone")')
        return cls(graph, **options)

    @classmethod
    def from_config(cls, model: nn.Module, options: Optional[Mapping] = None,
                    input_shape: Optional[Sequence[int]] = None,
                    edges: Optional[Mapping[str, Sequence[int]]] = None) -> 'WidthSpace':
        """Builds the space from a config dict (``width_space=dict(...)``); ``input_shape`` overrides its own,
        ``edges`` gives the bins of some groups explicitly (see :class:`WidthSpace`)."""
        options = dict(options or {})
        unknown = set(options) - set(SPACE_OPTIONS)
        if unknown:
            raise ConfigError(f'width_space: unknown option(s) {sorted(unknown)}; known: {list(SPACE_OPTIONS)}')
        shape = input_shape or options.pop('input_shape', None)
        options.pop('input_shape', None)
        if not shape:
            raise ConfigError('width_space needs input_shape=(C, H, W), the size the task feeds the model')
        return cls.from_model(model, tuple(shape), edges=edges, **options)

    # ------------------------------------------------------------------------------------------------ queries
    def channels(self, name: str) -> int:
        return self.graph.group(name).channels

    def full(self) -> Subnet:
        return {name: self.channels(name) for name in self.names}

    def largest(self) -> Subnet:
        return {name: choices[-1] for name, choices in self.choices.items()}

    def smallest(self) -> Subnet:
        return {name: choices[0] for name, choices in self.choices.items()}

    def sample(self, rng: np.random.Generator) -> Subnet:
        """One width per group, each uniform over its choices."""
        return {name: int(choices[rng.integers(len(choices))]) for name, choices in self.choices.items()}

    def scoped_estimator(self, scope: str) -> ResourceEstimator:
        """FLOPs and params of the layers and parameters under a module prefix only (e.g. ``'backbone'``)."""
        if not any(layer.name.startswith(scope + '.') for layer in self.graph.layers):
            raise ConfigError(f'no traced layer lies under "{scope}"')
        return ResourceEstimator(self.graph, self.names, scope)

    def flops(self, subnet: Mapping[str, int]) -> int:
        return self.estimator.flops(subnet)

    def params(self, subnet: Mapping[str, int]) -> int:
        return self.estimator.params(subnet)

    # ------------------------------------------------------------------------------------------------- checks
    def check_subnet(self, subnet: Mapping[str, object], source: str = 'subnet',
                     choices_only: bool = False) -> Subnet:
        """Validates a width config and returns its widths (group -> channels) in the space's group order.

        A group's entry is its number of channels (the leftmost ones, or whatever a sharing pattern picks) or
        ``{"channels": k, "indices": [...]}``, the ``k`` kept channels themselves (a pruning result).
        Raises :class:`SubnetError` with one line that says what is wrong: unknown or missing groups, widths
        that are not whole numbers or lie outside ``[1, channels]`` (or outside the choices), malformed indices.
        """
        if not isinstance(subnet, Mapping):
            raise SubnetError(f'{source}: expected a mapping of group name -> channels, got '
                              f'{type(subnet).__name__}')
        unknown = [name for name in subnet if name not in self.choices]
        if unknown:
            hint = difflib.get_close_matches(str(unknown[0]), self.names, n=1)
            hint = f' (did you mean "{hint[0]}"?)' if hint else ''
            raise SubnetError(f'{source}: unknown group "{unknown[0]}"{hint}; '
                              f'{len(unknown)} unknown of {len(subnet)} given')
        missing = [name for name in self.names if name not in subnet]
        if missing:
            shown = ', '.join(f'"{n}"' for n in missing[:3]) + (' ...' if len(missing) > 3 else '')
            raise SubnetError(f'{source}: missing {len(missing)} of {len(self.names)} groups: {shown}')
        checked = {}
        for name in self.names:
            entry, full = subnet[name], self.channels(name)
            width = entry.get('channels') if isinstance(entry, Mapping) else entry
            if isinstance(width, bool) or not isinstance(width, (int, np.integer)):
                raise SubnetError(f'{source}: group "{name}" needs a whole number of channels, got {width!r}')
            if not 1 <= width <= full:
                raise SubnetError(f'{source}: group "{name}" has {full} channels; {width} is out of range '
                                  f'[1, {full}]')
            if width % self.blocks[name]:
                raise SubnetError(f'{source}: group "{name}" splits its {full} channels into {self.blocks[name]} '
                                  f'blocks (grouped convs or group norms); {width} is not a multiple of '
                                  f'{self.blocks[name]}')
            if choices_only and width not in self.choices[name]:
                raise SubnetError(f'{source}: group "{name}" cannot take {width} channels; its choices are '
                                  f'{self.choices[name]}')
            if isinstance(entry, Mapping):
                self._check_indices(entry, int(width), self.graph.group(name), f'{source}: group "{name}"')
            checked[name] = int(width)
        return checked

    @staticmethod
    def _check_indices(entry: Mapping[str, object], width: int, group: ChannelGroup, where: str) -> None:
        """An entry ``{"channels": k, "indices": [...]}`` keeps the channels ``indices``: ``k`` of them, sorted,
        unique, in ``[0, channels)``, at the same positions in every block of a blocked group."""
        unknown = sorted(set(entry) - {'channels', 'indices'})
        if unknown or 'indices' not in entry:
            raise SubnetError(f'{where}: an entry with kept channels is {{"channels": k, "indices": [...]}}, got '
                              f'keys {sorted(entry)}')
        indices = entry['indices']
        if not isinstance(indices, (list, tuple)) or \
                any(isinstance(i, bool) or not isinstance(i, (int, np.integer)) for i in indices):
            raise SubnetError(f'{where}: "indices" must be a list of channel numbers, got {indices!r}')
        if len(indices) != width:
            raise SubnetError(f'{where}: "indices" lists {len(indices)} channels but "channels" is {width}')
        if any(b <= a for a, b in zip(indices, indices[1:])):
            raise SubnetError(f'{where}: "indices" must be sorted and unique')
        if indices and not 0 <= indices[0] <= indices[-1] < group.channels:
            raise SubnetError(f'{where}: "indices" must lie in [0, {group.channels}), got {indices[0]} .. '
                              f'{indices[-1]}')
        size = group.channels // group.blocks
        positions = [[i % size for i in indices if i // size == block] for block in range(group.blocks)]
        if any(p != positions[0] for p in positions):
            raise SubnetError(f'{where}: the group is split into {group.blocks} blocks of {size} channels; '
                              f'"indices" must keep the same positions in every block')

    @staticmethod
    def _check_names(option: str, given: Sequence[str], known: Sequence[str]) -> None:
        for name in given:
            if name not in known:
                hint = difflib.get_close_matches(str(name), known, n=1)
                hint = f' (did you mean "{hint[0]}"?)' if hint else ''
                raise ConfigError(f'{option}: unknown group "{name}"{hint}')

    def fingerprint(self) -> str:
        """A short hash of what decides the weights' shapes and the subnets: the searchable groups, their channels,
        blocks and width choices (not the input size, which changes FLOPs only). Checkpoints record it."""
        groups = [[g.name, g.channels, g.blocks, self.choices[g.name]] for g in self.groups]
        return hashlib.sha1(json.dumps(groups).encode()).hexdigest()[:12]

    def to_dict(self) -> dict:
        """A JSON-ready description: searchable groups (with members and choices) and the fixed ones."""
        return dict(
            input_shape=list(self.graph.input_shape), entries=list(self.graph.entries),
            uncounted=list(self.graph.uncounted),
            groups=[dict(name=g.name, channels=g.channels, blocks=g.blocks, choices=self.choices[g.name],
                         members=g.members) for g in self.groups],
            fixed=[dict(name=g.name, channels=g.channels, reason=g.fixed_reason)
                   for g in self.graph.groups if not g.searchable])
