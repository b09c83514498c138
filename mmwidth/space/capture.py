"""Graph capture: the torch.fx graph of what a traced entry of a model computes (symbolic tracing, or where
torch.fx cannot follow the code, one recorded forward pass: :mod:`.runtime_graph`), with the shapes of one real
run on every node. Every module a registered layer family owns stays one call in the graph."""
from typing import Sequence, Tuple

import torch
import torch.fx as fx
from mmengine.logging import print_log
from torch import nn
from torch.fx.passes.shape_prop import ShapeProp

from ..layers import layer_type_of
from ..utils.model_call import forward_tensor, trace_entries
from .runtime_graph import RuntimeTraceError, record_graph
from .trace_values import ChannelTraceError


class _LeafTracer(fx.Tracer):
    """Keeps every module a registered layer family owns (subclasses included, e.g. mmcv's) as one call in the
    graph."""

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        if layer_type_of(m) is not None:
            return True
        return super().is_leaf_module(m, module_qualified_name)


class _Entry(nn.Module):
    """Calls a model the way ``entry`` says (:func:`forward_tensor`): the root of every traced graph."""

    def __init__(self, model: nn.Module, entry: str):
        super().__init__()
        self.model = model
        self.entry = entry

    def forward(self, inputs):
        return forward_tensor(self.model, inputs, self.entry)


PREFIX = 'model.'


def strip(path: str) -> str:
    """A module path relative to the traced model ('' for the model itself)."""
    if path == PREFIX[:-1]:
        return ''
    return path[len(PREFIX):] if path.startswith(PREFIX) else path


def capture(model: nn.Module, input_shape: Tuple[int, ...],
            scope: Sequence[str]) -> Tuple[str, fx.Graph, nn.Module]:
    """The first entry (:func:`trace_entries` for ``scope``) that can be traced, with its graph and root module."""
    failures = []
    for entry in trace_entries(model, scope):
        try:
            graph, root, how = capture_entry(model, entry, input_shape)
        except ChannelTraceError as err:
            failures.append(err)
            continue
        print_log(f'traced {type(model).__name__}.{entry} {how}', logger='current')
        if failures:
            print_log(f'the whole forward cannot run on a tensor alone ({failures[-1]}): the outputs of '
                      f'{entry} stay fixed and FLOPs count {entry} only', logger='current')
        return entry, graph, root
    if len(failures) == 1:
        raise failures[0]
    raise ChannelTraceError('; '.join(str(err) for err in failures)) from failures[-1]


def capture_entry(model: nn.Module, entry: str, input_shape: Tuple[int, ...]) -> Tuple[fx.Graph, nn.Module, str]:
    """The graph of one entry, with torch.fx or, where that fails, by recording one forward pass."""
    root = _Entry(model, entry)
    try:
        return _fx_graph(root, input_shape), root, 'with torch.fx'
    except ChannelTraceError as fx_error:
        return _runtime_graph(root, input_shape), root, f'by recording one forward pass ({fx_error})'


def _runtime_graph(root: _Entry, input_shape: Tuple[int, ...]) -> fx.Graph:
    """The graph of one real forward pass (:func:`record_graph`), for code torch.fx cannot follow."""
    try:
        return record_graph(root, torch.zeros(1, *input_shape), _LeafTracer().is_leaf_module)
    except RuntimeTraceError as err:
        raise ChannelTraceError(
            f'running {type(root.model).__name__}.{root.entry} on an input of shape {list(input_shape)} failed '
            f'in module "{strip(err.module) or "<top level>"}": {err}') from err


def _fx_graph(root: _Entry, input_shape: Tuple[int, ...]) -> fx.Graph:
    """The torch.fx graph of ``root`` with the shapes of one real run (``tensor_meta`` of every node)."""
    model = root.model
    tracer = _LeafTracer()
    try:
        graph = tracer.trace(root)
    except Exception as err:  # fx raises many kinds of errors from user code
        where = strip(next(reversed(tracer.module_stack.values()))[0]) if tracer.module_stack else 'the model'
        raise ChannelTraceError(
            f'torch.fx cannot trace {type(model).__name__}.{root.entry} in module "{where}": '
            f'{type(err).__name__}: {err}. Make that code traceable (no Python control flow on tensor values) '
            'or wrap it in a leaf module.') from err
    graph_module = fx.GraphModule(root, graph)
    try:
        with torch.no_grad():
            ShapeProp(graph_module).propagate(torch.zeros(1, *input_shape))
    except Exception as err:
        raise ChannelTraceError(
            f'running {type(model).__name__}.{root.entry} on an input of shape {list(input_shape)} failed: '
            f'{type(err).__name__}: {err}') from err
    return graph
