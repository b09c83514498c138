"""Finds the channel groups of any ``nn.Module`` from its torch.fx graph.

The model is captured as a graph with the shapes of one real input (:mod:`.capture`), and a channel *layout*
(which group each channel of a tensor belongs to) flows along the graph (:mod:`.propagation`): every module of a
registered layer family and every op is handled by its own rule (:mod:`mmwidth.layers`, :mod:`.ops`) — convs and
linears start new groups, norms and element-wise ops pass layouts through, residual adds and gating products tie
groups, depthwise convs pass their producer's group on, concatenation joins layouts and flattening scales them.
Heads that only the loss path runs are traced too, and the groups are named after their modules
(:mod:`.naming`). Whatever the tracer cannot follow is an error that names the module and the operation, unless
that module is excluded from the search; so is a parameterised module that no trace reaches.
"""
import logging
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.logging import print_log
from torch import nn

from ..layers import layer_type
from ..utils.model_call import WHOLE_FORWARD, loss_path_heads
from .capture import capture, capture_entry
from .channel_graph import ChannelGraph, ChannelGroup, Segment
from .naming import add_members, name_groups
from .propagation import Propagation, TracePolicy
from .trace_values import ChannelTraceError

__all__ = ['ChannelTracer', 'ChannelTraceError']


class ChannelTracer:
    """Traces a model and returns its :class:`ChannelGraph`; every call of :meth:`trace` has its own state.

    Args:
        scope: module path prefixes whose conv/linear outputs may be searched ('' = everything). Default:
            ``['backbone']`` for models with a backbone, everything otherwise.
        exclude: module path prefixes whose outputs are never searched; ops the tracer does not know are
            tolerated inside them (their channels are just kept).
        strict: raise on unknown ops inside the scope and outside excluded modules (otherwise their channels are
            kept silently).
        fixed_modules: module path prefixes that no trace needs to reach (training never runs them, or their
            inputs keep their width); any other module whose parameters no trace uses is an error.
    """

    def __init__(self, scope: Optional[Sequence[str]] = None, exclude: Sequence[str] = (), strict: bool = True,
                 fixed_modules: Sequence[str] = ()):
        self.scope = None if scope is None else list(scope)
        self.exclude = list(exclude)
        self.strict = strict
        self.fixed_modules = list(fixed_modules)

    def trace(self, model: nn.Module, input_shape: Sequence[int]) -> ChannelGraph:
        scope = self.scope
        if scope is None:
            scope = ['backbone'] if isinstance(getattr(model, 'backbone', None), nn.Module) else ['']
        policy = TracePolicy(scope, self.exclude, self.strict)
        state = Propagation(policy)
        shape = tuple(input_shape)
        was_training = model.training
        model.eval()
        try:
            entry, graph, root = capture(model, shape, scope)
            state.walk(graph, root)
            if state.uncounted:
                print_log(f'FLOPs leave out the multiply-accumulates of {", ".join(state.uncounted)} (only conv, '
                          'linear and attention layers are counted)', logger='current', level=logging.WARNING)
            extra = self._trace_loss_path(model, shape, state) if entry == WHOLE_FORWARD else []
        finally:
            model.train(was_training)
        return _finish(model, shape, state, entry, extra)

    def _trace_loss_path(self, model: nn.Module, input_shape: Tuple[int, ...], state: Propagation) -> List[str]:
        """Traces the heads that only the loss path runs (:func:`loss_path_heads`) into the same groups, so that
        their inputs follow the searched widths; their MACs are not counted (the traced entry does not run them).
        Then every parameter that training uses must have been reached. (Heads of a model traced at its feature
        extractor read its outputs, which stay fixed: this runs for the whole forward only.)"""
        failures, traced = {}, []
        state.counting = False
        reached = lambda module: any(id(p) in state.reached for p in module.parameters())  # noqa: E731
        for entry in loss_path_heads(model, reached):
            try:
                graph, root, _ = capture_entry(model, entry, input_shape)
            except ChannelTraceError as err:
                failures[entry] = err
                continue
            state.walk(graph, root)
            traced.append(entry)
            print_log(f'traced {type(model).__name__}.{entry}, which only the loss path runs', logger='current')
        missed = self._unreached(model, state)
        if missed:
            detail = '; '.join(f'{entry}: {err}' for entry, err in failures.items())
            raise ChannelTraceError(
                f'no trace of {type(model).__name__} reaches the parameterised module(s) {", ".join(missed)}, so '
                'their input channels cannot follow the searched widths' + (f' ({detail})' if detail else '') +
                f'. If training never runs them, or their inputs keep their width, declare them width_space '
                f'fixed_modules={missed}.')
        return traced

    def _unreached(self, model: nn.Module, state: Propagation) -> List[str]:
        """The outermost modules none of whose parameters a trace used (outside ``fixed_modules``)."""
        missed: List[str] = []
        for name, module in model.named_modules():
            if any(name == m or name.startswith(m + '.') for m in missed + self.fixed_modules):
                continue
            params = list(module.parameters())
            if params and not any(id(p) in state.reached for p in params):
                missed.append(name)
        return missed


def _finish(model: nn.Module, input_shape: Tuple[int, ...], state: Propagation, entry: str,
            extra_entries: Sequence[str]) -> ChannelGraph:
    """The graph of a finished trace: its surviving groups (numbered in creation order, fixed by the graph or by
    the policy), its layers on those numbers, named groups and members."""
    store = state.groups
    roots = store.roots()
    final = {root: i for i, root in enumerate(roots)}
    layers = []
    for layer in state.layers.values():
        layer.inputs = tuple(Segment(final[store.find(s.group)], s.factor) for s in layer.inputs)
        if layer.output is not None:
            layer.output = final[store.find(layer.output)]
        layers.append(layer)
    modules = dict(model.named_modules())
    groups = []
    for root in roots:
        rec = store.records[root]
        producers = [name for _, name in sorted(rec.producers)]
        fixed = rec.fixed + _policy_reasons(state.policy, producers, modules)
        groups.append(ChannelGroup(name='', channels=rec.channels, producers=producers, members=[],
                                   fixed_reason=fixed[0] if fixed else None, blocks=rec.blocks))
    add_members(groups, layers)
    name_groups(groups, [store.records[r] for r in roots])
    layer_params = {id(p) for layer in layers for p in layer_type(layer.kind).parameters(modules[layer.name], layer)}
    other_params = {name: p.numel() for name, p in model.named_parameters() if id(p) not in layer_params}
    return ChannelGraph(groups, layers, input_shape, other_params=other_params, entry=entry,
                        extra_entries=tuple(extra_entries), uncounted=tuple(state.uncounted))


def _policy_reasons(policy: TracePolicy, producers: List[str], modules: Dict[str, nn.Module]) -> List[str]:
    """Why a group that the graph allows to change is still kept (scope, exclusions, frozen layers)."""
    reasons = []
    for name in producers:
        if not policy.in_scope(name):
            reasons.append(f'{name} is outside the searched scope {list(policy.scope)}')
        if policy.excluded(name):
            reasons.append(f'{name} is excluded')
        params = list(modules[name].parameters())
        if params and not any(p.requires_grad for p in params):
            reasons.append(f'{name} is frozen')
    return reasons
