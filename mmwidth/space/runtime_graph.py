"""Records one real forward pass as a torch.fx graph, for models whose Python code torch.fx cannot follow.

Symbolic tracing fails on Python control flow over tensor values, iteration over tensors, ``x.requires_grad``
checks and shapes computed at run time. Running the model once on a real tensor has none of these problems: a
:class:`~torch.overrides.TorchFunctionMode` sees every torch function and tensor method called outside leaf
modules, and module hooks see every leaf module call (convs, linears, norms: their own code runs untouched). The
result is the graph symbolic tracing would have given for the path this input takes, with the ``tensor_meta``
and ``nn_module_stack`` of every node, so the channel tracer reads both kinds of graph the same way.
"""
import operator
from typing import Any, Callable, Dict, List, Optional, Tuple

import torch
import torch.fx as fx
from torch import nn
from torch.fx.node import map_aggregate
from torch.fx.passes.shape_prop import _extract_tensor_metadata
from torch.overrides import TorchFunctionMode

# Tensor properties that return tensors, as the operation they amount to.
PROPERTY_OPS = {'data': 'detach', 'T': 'permute', 'mT': 'transpose'}
# Queries whose ints are sizes of the tensor asked (see :class:`ShapeInt`).
SIZE_QUERIES = frozenset({'size', 'shape', 'numel'})


class ShapeInt(int):
    """A size read from a tensor while recording, or computed from such sizes (arithmetic keeps the mark): the
    recorded graph's reshapes can then tell a width the model reads from its input from one written in its code
    as a number (``out.view(-1, H, W, self.num_features[i])``), which a subnet of another width cannot run. The
    graph torch.fx builds makes the same distinction with nodes for sizes."""


def _keeps_mark(op: Callable) -> Callable:
    def apply(self, *other):
        out = op(self, *other)
        return ShapeInt(out) if type(out) is int else out
    return apply


for _name in ('__add__', '__radd__', '__sub__', '__rsub__', '__mul__', '__rmul__', '__floordiv__',
              '__rfloordiv__', '__mod__', '__rmod__', '__neg__', '__pos__', '__abs__'):
    setattr(ShapeInt, _name, _keeps_mark(getattr(int, _name)))


def _marked_sizes(value: Any) -> Any:
    if isinstance(value, torch.Size):
        return torch.Size(ShapeInt(v) for v in value)
    return ShapeInt(value) if type(value) is int else value


class RuntimeTraceError(RuntimeError):
    """The model raised while it was being recorded; ``module`` is where."""

    def __init__(self, module: str, error: Exception):
        super().__init__(f'{type(error).__name__}: {error}')
        self.module = module


def _meta(value: Any) -> Any:
    return map_aggregate(value, lambda v: _extract_tensor_metadata(v) if isinstance(v, torch.Tensor) else v)


def _has_tensor(value: Any) -> bool:
    found = []
    map_aggregate(value, lambda v: found.append(v) if isinstance(v, torch.Tensor) else None)
    return bool(found)


def _query_name(func: Callable) -> str:
    """The name of a tensor method or property (``shape`` for its getter)."""
    name = getattr(func, '__name__', '')
    return getattr(getattr(func, '__self__', None), '__name__', '') if name == '__get__' else name


class _Recorder(TorchFunctionMode):
    """Builds the graph while the model runs: a node per operation outside leaf modules, a node per leaf call."""

    def __init__(self, root: nn.Module, is_leaf: Callable[[nn.Module, str], bool]):
        super().__init__()
        self.root = root
        self.graph = fx.Graph()
        self._is_leaf = is_leaf
        self._names = {id(m): name for name, m in root.named_modules()}
        self._attrs = {id(t): name for name, t in root.named_parameters()}
        self._parameters = set(self._attrs.values())
        self._attrs.update({id(t): name for name, t in root.named_buffers()})
        self._nodes: Dict[int, fx.Node] = {}
        self._alive: List[torch.Tensor] = []  # keeps recorded tensors alive, so that their ids stay theirs
        self._stack: List[Tuple[Optional[str], type, bool]] = []  # modules running now: name, type, leaf
        self._leaf_depth = 0
        self._busy = False
        self._constants = 0

    # --------------------------------------------------------------------------------------------- bookkeeping
    def where(self) -> str:
        """The innermost named module running now ('' at the top level)."""
        names = [name for name, _, _ in self._stack if name]
        return names[-1] if names else ''

    def _new_node(self, op: str, target: Any, args: tuple, kwargs: dict, value: Any) -> fx.Node:
        node = self.graph.create_node(op, target, args, kwargs)
        node.meta['tensor_meta'] = _meta(value)
        node.meta['nn_module_stack'] = {name: (name, kind) for name, kind, _ in self._stack if name}
        return node

    def _bind(self, value: Any, node: fx.Node) -> None:
        """Makes ``node`` the producer of the tensors of ``value`` (through getitem nodes for sequences)."""
        if isinstance(value, torch.Tensor):
            self._nodes[id(value)] = node
            self._alive.append(value)
        elif isinstance(value, (tuple, list)):
            for i, item in enumerate(value):
                if _has_tensor(item):
                    self._bind(item, self._new_node('call_function', operator.getitem, (node, i), {}, item))

    def _arg(self, value: Any) -> Any:
        """The graph argument for a value: the node of a recorded tensor, a ``get_attr`` node for a parameter,
        buffer or tensor created without the input (a constant), the value itself otherwise."""
        if not isinstance(value, torch.Tensor):
            return value
        node = self._nodes.get(id(value))
        if node is not None:
            return node
        name = self._attrs.get(id(value))
        if name is None:
            name = f'_runtime_constant_{self._constants}'
            self._constants += 1
            self.root.register_buffer(name, value.detach(), persistent=False)
        node = self._new_node('get_attr', name, (), {}, value)
        self._nodes[id(value)] = node
        self._alive.append(value)
        return node

    def _follows(self, args: Any) -> bool:
        """Whether an operation reads the input or a parameter: what a parameter goes through is recorded too (as
        symbolic tracing does), so that the tracer can see a cls token expanded over the batch meet the tokens."""
        nodes = []
        map_aggregate(args, lambda v: nodes.append(v) if isinstance(v, fx.Node) and (
            v.op != 'get_attr' or v.target in self._parameters) else None)
        return bool(nodes)

    # --------------------------------------------------------------------------------------------- recording
    def start(self, inputs: torch.Tensor) -> None:
        self._bind(inputs, self._new_node('placeholder', 'inputs', (), {}, inputs))

    def finish(self, outputs: Any) -> None:
        self.graph.output(map_aggregate(outputs, lambda v: self._arg(v) if isinstance(v, torch.Tensor)
                                        else v if isinstance(v, (int, float, str, bool, type(None))) else None))

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        if self._leaf_depth or self._busy:
            return out
        if _query_name(func) in SIZE_QUERIES:
            return _marked_sizes(out)
        self._busy = True
        try:
            self._record(func, args, kwargs, out)
        finally:
            self._busy = False
        return out

    def _record(self, func: Callable, args: tuple, kwargs: dict, out: Any) -> None:
        name = getattr(func, '__name__', '')
        method = getattr(torch.Tensor, name, None) is func
        if name == '__get__':  # a property: only those that give tensors are operations
            name, method = _query_name(func), True
            name = PROPERTY_OPS.get(name, name)
        elif method:
            name = name.strip('_') if name.startswith('__') else name
        if name == 'setitem':  # writes into its first argument: the written tensor is a new value
            target = args[0]
            node = self._new_node('call_method', name, map_aggregate(args, self._arg), {}, target)
            self._bind(target, node)
            return
        if not _has_tensor(out):
            return
        graph_args = map_aggregate(args, self._arg)
        graph_kwargs = map_aggregate(kwargs, self._arg)
        if not self._follows((graph_args, graph_kwargs)):
            self._arg_constants(out)
            return
        if method:
            node = self._new_node('call_method', name, graph_args, graph_kwargs, out)
        else:
            node = self._new_node('call_function', func, graph_args, graph_kwargs, out)
        self._bind(out, node)

    def _arg_constants(self, value: Any) -> None:
        """Tensors computed from buffers and constants only are constants of the graph."""
        map_aggregate(value, lambda v: self._arg(v) if isinstance(v, torch.Tensor) else None)

    # -------------------------------------------------------------------------------------------- module hooks
    def pre_hook(self, module: nn.Module, args: tuple) -> None:
        if self._leaf_depth:  # a module inside a leaf runs unseen
            self._leaf_depth += 1
            return
        name = self._names.get(id(module))  # None for modules built during the forward
        leaf = bool(name) and self._is_leaf(module, name)
        self._leaf_depth = int(leaf)
        self._stack.append((name, type(module), leaf))

    def post_hook(self, module: nn.Module, args: tuple, kwargs: dict, out: Any) -> None:
        if self._leaf_depth > 1:
            self._leaf_depth -= 1
            return
        name, _, leaf = self._stack.pop()
        if not leaf:
            return
        self._leaf_depth = 0
        self._busy = True
        try:
            graph_args, graph_kwargs = map_aggregate(args, self._arg), map_aggregate(kwargs, self._arg)
            self._bind(out, self._new_node('call_module', name, graph_args, graph_kwargs, out))
        finally:
            self._busy = False


def record_graph(root: nn.Module, inputs: torch.Tensor, is_leaf: Callable[[nn.Module, str], bool]) -> fx.Graph:
    """The graph of one call ``root(inputs)`` (run under ``no_grad``); leaf modules (``is_leaf``) are single
    ``call_module`` nodes. Tensors computed from neither the input nor a parameter become buffers of ``root`` read
    by ``get_attr``.

    Raises :class:`RuntimeTraceError` when the model itself raises, with the module it was in.
    """
    recorder = _Recorder(root, is_leaf)
    recorder.start(inputs)
    pre = nn.modules.module.register_module_forward_pre_hook(recorder.pre_hook)
    post = nn.modules.module.register_module_forward_hook(recorder.post_hook, with_kwargs=True)
    try:
        with torch.no_grad(), recorder:
            outputs = root(inputs)
    except Exception as err:  # the model's own code failed on a real tensor
        raise RuntimeTraceError(recorder.where(), err) from err
    finally:
        pre.remove()
        post.remove()
    recorder.finish(outputs)
    return recorder.graph
