"""A per-layer latency table of a width space, measured on one runtime of one machine, that predicts the latency
of any subnet.

Each traced layer is timed alone, at the input it gets in the model (batch ``batch``, the space's input size), on
a grid of its input and output channel counts spanning its groups' width choices; a subnet's layers are read off
that grid by bilinear interpolation and summed. End-to-end timings of a few anchor subnets fit the sum to what
the whole model takes: ``predicted = scale * sum + offset``. The offset holds what every subnet runs alike (each
layer's call overhead, unsearched layers); the scale what grows with the widths but is not in the sum (the
activations, adds and pooling between the layers, and the inputs a layer finds in cache in the whole model).
What the prediction ignores: fusions the runtime makes across layers beyond those it makes for each layer alone
(ONNX Runtime folds a batch norm into the conv before it, which is why the ``onnxruntime`` table leaves batch
norms out), and the way such effects change with the widths between the anchors.
"""
import copy
import datetime
import itertools
import json
import os
import os.path as osp
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ..export.static_model import export_static_model
from ..layers import layer_type
from ..sharing.index_sets import subnet_index_sets
from ..space.channel_graph import Layer
from ..space.width_space import Subnet, WidthSpace
from ..supernet.dynamic_layers import make_static
from ..supernet.resize import set_layer_tensors
from ..utils.errors import ConfigError, WidthSearchError
from ..utils.files import atomic_write
from ..utils.model_call import TensorEntry, forward_tensor
from .runtimes import Runtime, build_runtime, machine_record

FORMAT = 'mmwidth-latency-table'
VERSION = 1
# layer types a runtime folds into the layer before them, so that they take no time of their own there
FOLDED = {'onnxruntime': (_BatchNorm, )}


class LatencyTableError(WidthSearchError, ValueError):
    """A latency table that is unreadable, of another model or measured somewhere else."""


class _RecordedCall(nn.Module):
    """A module called on the arguments it got in the model, its tensors given positionally (what an ONNX
    export traces), the rest as recorded."""

    def __init__(self, module: nn.Module, args: tuple, kwargs: dict):
        super().__init__()
        self.module, self.args, self.kwargs = module, args, kwargs

    def forward(self, *tensors):
        fill = iter(tensors)
        args = [next(fill) if isinstance(a, torch.Tensor) else a for a in self.args]
        kwargs = {k: next(fill) if isinstance(v, torch.Tensor) else v for k, v in self.kwargs.items()}
        return self.module(*args, **kwargs)


def _record_calls(model: nn.Module, names: Sequence[str], inputs: torch.Tensor, entry: str) -> Dict[str, list]:
    """The arguments (as zero tensors of their shapes) of every call of the modules ``names`` when the model runs
    ``entry`` on ``inputs``."""
    calls: Dict[str, list] = {name: [] for name in names}

    def zeros(value):
        return torch.zeros_like(value) if isinstance(value, torch.Tensor) else value

    def hook(name):
        def record(module, args, kwargs):
            calls[name].append((tuple(zeros(a) for a in args), {k: zeros(v) for k, v in kwargs.items()}))
        return record

    handles = [model.get_submodule(name).register_forward_pre_hook(hook(name), with_kwargs=True) for name in names]
    try:
        with torch.no_grad():
            forward_tensor(model.eval(), inputs, entry)
    finally:
        for handle in handles:
            handle.remove()
    return calls


def _grid(values: Sequence[int], points: int) -> List[int]:
    """At most ``points`` of the sorted distinct ``values``, evenly spread, the extremes included."""
    values = sorted(set(int(v) for v in values))
    if len(values) <= points:
        return values
    return sorted({values[round(i * (len(values) - 1) / (points - 1))] for i in range(points)})


def _sums(options: Sequence[Sequence[int]]) -> List[int]:
    """Every sum of one value of each option list (the input channels of a layer fed by several groups)."""
    sums = {0}
    for values in options:
        sums = {s + v for s in sums for v in values}
    return sorted(sums)


class LatencyTable:
    """The latency of every layer of a width space over its widths, on one runtime (see the module docstring).

    Built by :meth:`build` (``tools/analysis/latency_table.py``), saved as JSON, loaded with :meth:`load`,
    which refuses a table of another model or measured on another machine or runtime version. ``predict*``
    take the widths of the space's searchable groups.
    """

    def __init__(self, record: dict, space: WidthSpace):
        self.record = record
        self.space = space
        graph = space.graph
        self.scale, self.offset = record['fit']['scale'], record['fit']['offset_ms']
        self._full = torch.tensor([g.channels for g in graph.groups], dtype=torch.float64)
        self._columns = torch.tensor([graph.index[name] for name in space.names], dtype=torch.long)
        self._layers = []
        for entry in record['layers']:
            inputs = torch.zeros(len(graph.groups), dtype=torch.float64)
            for group, factor in entry['inputs']:
                inputs[group] += factor
            in_grid, out_grid = entry['in'], entry['out'] or [0]
            ms = torch.tensor(entry['ms'], dtype=torch.float64).reshape(len(in_grid), len(out_grid))
            # a one-point axis as a cell of two equal points, so that every lookup reads a cell
            if len(in_grid) == 1:
                in_grid, ms = in_grid * 2, ms.repeat(2, 1)
            if len(out_grid) == 1:
                out_grid, ms = out_grid * 2, ms.repeat(1, 2)
            self._layers.append((inputs, entry['output'], torch.tensor(in_grid, dtype=torch.float64),
                                 torch.tensor(out_grid, dtype=torch.float64), ms))

    # ------------------------------------------------------------------------------------------- predicting
    def layer_sum(self, widths: torch.Tensor) -> torch.Tensor:
        """Sum of the interpolated layer latencies (ms) of ``(N, len(names))`` widths (real-valued allowed, and
        differentiable: Dagger's soft widths)."""
        widths = widths.to(torch.float64).reshape(-1, len(self._columns))
        every = self._full.repeat(len(widths), 1).index_copy(1, self._columns, widths)
        total = widths.new_zeros(len(widths))
        for inputs, output, in_grid, out_grid, ms in self._layers:
            cin = every @ inputs
            cout = cin if output is None else every[:, output]
            i, t = _cell(in_grid, cin)
            j, u = _cell(out_grid, cout)
            total = total + ((1 - t) * (1 - u) * ms[i, j] + t * (1 - u) * ms[i + 1, j] + (1 - t) * u * ms[i, j + 1]
                             + t * u * ms[i + 1, j + 1])
        return total

    def predict_tensor(self, widths: torch.Tensor) -> torch.Tensor:
        return self.scale * self.layer_sum(widths) + self.offset

    def predict_batch(self, widths: np.ndarray) -> np.ndarray:
        """Predicted latency (ms) of each row of ``(N, len(names))`` widths in channels."""
        with torch.no_grad():
            return self.predict_tensor(torch.as_tensor(np.asarray(widths, dtype=np.float64))).numpy()

    def predict(self, subnet: Subnet) -> float:
        return float(self.predict_batch(np.array([[subnet[name] for name in self.space.names]]))[0])

    def quadratic_form(self, samples: int = 4096, seed: int = 0) -> np.ndarray:
        """The predicted latency fitted by a quadratic form ``v' Q v`` in ``v = [1, widths / blocks]`` (the
        block rows of :class:`~mmwidth.space.resource_estimator.ResourceEstimator`'s forms), by least
        squares over ``samples`` subnets drawn uniformly from the choices: what a prior over widths aims with."""
        names = self.space.names
        generator = np.random.default_rng(seed)
        widths = np.stack([generator.choice(self.space.choices[name], samples) for name in names], axis=1)
        rows = np.concatenate([np.ones((samples, 1)), widths / np.array([self.space.blocks[n] for n in names])], 1)
        upper = np.triu_indices(rows.shape[1])
        features = rows[:, upper[0]] * rows[:, upper[1]]
        coefficients = np.linalg.lstsq(features, self.predict_batch(widths), rcond=None)[0]
        form = np.zeros((rows.shape[1], rows.shape[1]))
        form[upper] = coefficients
        return (form + form.T) / 2

    def runtime(self) -> Runtime:
        """The runtime the table was measured on, with its threads."""
        recorded = self.record['runtime']
        return build_runtime(recorded['runtime'], threads=recorded['threads'])

    def measure(self, model: nn.Module, subnets: Sequence[Subnet], paced: bool = True, **timing) -> List[float]:
        """The latency (ms) of each of ``subnets`` of ``model`` timed end to end as the table's anchors were
        (see :func:`measure_subnets`). ``paced``: each as a fraction of the largest subnet timed beside it, times
        the largest anchor's time at the build (:meth:`Runtime.measure_interleaved`), so that the figures
        compare with the table's predictions however far the machine's speed has moved since the build."""
        pace = dict(pace_subnet=self.space.largest(), pace_ms=self.record['fit']['anchors'][1]['measured_ms']) \
            if paced else {}
        return measure_subnets(model, self.space, subnets, self.runtime(), self.record['batch'],
                               self.record['scope'], **pace, **timing)

    def measure_with_drift(self, model: nn.Module, subnets: Sequence[Subnet], paced: bool = True,
                           **timing) -> Tuple[List[float], Dict[str, float]]:
        """:meth:`measure`, with the table's smallest and largest anchors timed in the same rounds. Also returns
        their time now over their time when the table was built (``smallest``, ``largest``): how far the
        machine's speed (unpaced) or the shape of its timings (paced: the largest reads 1 by construction) has
        moved since, a bias every prediction of the table shares."""
        anchors = self.record['fit']['anchors'][:2]  # the build times the smallest and the largest first
        timed = self.measure(model, list(subnets) + [a['subnet'] for a in anchors], paced, **timing)
        drift = {name: round(now / anchor['measured_ms'], 4)
                 for name, now, anchor in zip(('smallest', 'largest'), timed[len(subnets):], anchors)}
        return timed[:len(subnets)], drift

    # --------------------------------------------------------------------------------------------- files
    def save(self, path: str) -> None:
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        with atomic_write(path) as f:
            json.dump(self.record, f, indent=1)

    @classmethod
    def load(cls, path: str, space: WidthSpace, force: bool = False) -> 'LatencyTable':
        """The table in ``path`` for ``space``; refused (one line) when it is of another model, or measured on
        another machine or runtime version unless ``force``."""
        try:
            with open(path) as f:
                record = json.load(f)
        except FileNotFoundError:
            raise LatencyTableError(f'latency table {path} does not exist; build one with '
                                    'tools/analysis/latency_table.py CONFIG --out FILE') from None
        except (OSError, ValueError) as err:
            raise LatencyTableError(f'latency table {path} is not readable JSON ({err})') from None
        if not isinstance(record, dict) or record.get('format') != FORMAT:
            raise LatencyTableError(f'{path} is not an mmwidth latency table')
        if record.get('version') != VERSION:
            raise LatencyTableError(f'{path} is a version {record.get("version")} latency table; this mmwidth '
                                    f'reads version {VERSION}: build it again')
        if record['structure'] != structure(space, record['scope']):
            raise LatencyTableError(f'{path} was measured for another model or input size than this width '
                                    'space: build a table for this config')
        if not force:
            here = dict(machine=machine_record(record['runtime']['device']),
                        versions=build_runtime(record['runtime']['runtime']).versions())
            there = dict(machine=record['machine'], versions=record['runtime']['versions'])
            for key in ('machine', 'versions'):
                if here[key] != there[key]:
                    raise LatencyTableError(
                        f'{path} was measured on another {key.rstrip("s")} ({_describe(there[key])}; here: '
                        f'{_describe(here[key])}): its latencies do not hold here; build a table on this machine, '
                        'or force its use (latency_table=dict(file=..., force=True))')
        return cls(record, space)

    @classmethod
    def from_option(cls, option: Union[str, dict], space: WidthSpace) -> 'LatencyTable':
        """The table a config names: ``'F.json'``, or ``dict(file='F.json', force=True)`` to use one measured
        on another machine or runtime version."""
        options = dict(file=option) if isinstance(option, str) else dict(option) if isinstance(option, dict) else {}
        if set(options) - {'file', 'force'} or not isinstance(options.get('file'), str):
            raise LatencyTableError(f'a latency table is given as FILE or dict(file=FILE, force=False), got {option!r}')
        return cls.load(options['file'], space, force=bool(options.get('force', False)))

    # ---------------------------------------------------------------------------------------------- building
    @classmethod
    def build(cls, model: nn.Module, space: WidthSpace, runtime: Runtime, batch: int = 1,
              scope: Optional[str] = None, grid: int = 6, anchors: int = 10, seed: int = 0,
              probe_divisor: bool = True,
              progress: Optional[Callable[[int, int], None]] = None) -> 'LatencyTable':
        """Times every layer of ``space`` (under ``scope`` only, e.g. a detector's ``backbone``) on a grid of at
        most ``grid`` input by ``grid`` output channel counts (a layer that passes its channels on, e.g. a
        depthwise conv, at up to ``grid**2`` of them), then ``anchors`` subnets end to end (the smallest,
        the largest and random ones drawn with ``seed``) to fit the sum; ``probe_divisor``: find the channel
        multiple the runtime prefers (:func:`_probe_divisor`). ``progress(done, total)`` is called after each
        layer or anchor timing."""
        if grid < 2 or anchors < 2:
            raise ConfigError('a latency table needs a grid of at least 2 widths and at least 2 anchor subnets')
        started = time.time()
        graph = space.graph
        folded = FOLDED.get(runtime.name, ())
        layers = [layer for layer in graph.layers if (scope is None or layer.name.startswith(scope + '.'))
                  and layer_type(layer.kind).timed and not isinstance(model.get_submodule(layer.name), folded)]
        if not layers:
            raise ConfigError(f'no traced layer lies under scope "{scope}"' if scope else 'the space has no layer')
        inputs = torch.zeros(batch, *graph.input_shape)
        calls = _record_calls(model, [layer.name for layer in layers], inputs, graph.entry)
        options = [space.choices[g.name] if g.name in space.choices else [g.channels] for g in graph.groups]
        plans = [(layer, *_layer_grids(layer, options, grid)) for layer in layers]
        total = sum(len(ins) * len(outs or [0]) for _, ins, outs in plans) + anchors
        # what a call on the runtime costs with nothing to compute: taken off each layer's timing, since the
        # whole model pays it once, not once a layer
        overhead = runtime.measure(_Scaled(), [torch.zeros(1)], min_seconds=0.2)
        done, timings, entries = 0, {}, []
        for layer, in_grid, out_grid in plans:
            module = model.get_submodule(layer.name)
            ms = []
            for cin, cout in itertools.product(in_grid, out_grid or [None]):
                key = (_signature(module, calls[layer.name]), cin, cout)
                if key not in timings:
                    timings[key] = sum(max(0.0, runtime.measure(*_layer_at(module, layer, graph, args, kwargs, cin,
                                                                           cout), min_seconds=0.05) - overhead)
                                       for args, kwargs in calls[layer.name])
                ms.append(timings[key])
                done += 1
                if progress:
                    progress(done, total)
            entries.append(dict(name=layer.name, inputs=[[s.group, s.factor] for s in layer.inputs],
                                output=layer.output, calls=len(calls[layer.name]), **{'in': in_grid},
                                out=out_grid, ms=ms))
        record = dict(format=FORMAT, version=VERSION, runtime=runtime.record(), machine=machine_record(runtime.device),
                      batch=batch, input_shape=list(graph.input_shape), scope=scope, structure=structure(space, scope),
                      grid=grid, call_overhead_ms=overhead, layers=entries, fit=dict(scale=1.0, offset_ms=0.0),
                      created=datetime.datetime.now().isoformat(timespec='seconds'))
        table = cls(record, space)
        generator = np.random.default_rng(seed)
        subnets = [space.smallest(), space.largest()] + [
            {name: int(generator.choice(space.choices[name])) for name in space.names} for _ in range(anchors - 2)]
        runs = []
        for subnet in subnets:
            runs.append(prepare_subnet(model, space, subnet, runtime, batch, scope))
            done += 1
            if progress:
                progress(done, total)
        measured = runtime.measure_interleaved(runs, min_seconds=0.2)
        points = [dict(subnet=subnet, table_ms=table.predict(subnet), measured_ms=ms)
                  for subnet, ms in zip(subnets, measured)]
        record['fit'] = dict(_fit(points), anchors=points)
        if probe_divisor:
            record['divisor'] = _probe_divisor(model, space, runtime, batch, scope)
        record['build_s'] = round(time.time() - started, 1)
        return cls(record, space)


class _Scaled(nn.Module):
    """The least a runtime can run: one multiplication of one number (a call's fixed cost)."""

    def forward(self, x):
        return x * 2


def _cell(grid: torch.Tensor, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """The grid cell of each ``x`` (index of its left edge, in ``[0, len - 2]``) and its position in it, clamped to
    [0, 1] (outside the grid: its edge; a cell of two equal points: its left one)."""
    i = (torch.searchsorted(grid, x.detach().contiguous(), right=True) - 1).clamp(0, len(grid) - 2)
    width = grid[i + 1] - grid[i]
    return i, torch.where(width > 0, (x - grid[i]) / width.clamp(min=1), torch.zeros_like(x)).clamp(0, 1)


def _layer_grids(layer: Layer, options: Sequence[Sequence[int]], points: int) -> Tuple[List[int], Optional[list]]:
    """The input and output channel counts a layer is timed at (None: it passes its input channels on)."""
    in_values = _sums([[v * seg.factor for v in options[seg.group]] for seg in layer.inputs])
    if layer.output is None:  # one axis: up to points**2 widths, as many timings as a two-axis layer's
        return _grid(in_values, points**2), None
    return _grid(in_values, points), _grid(options[layer.output], points)


def _signature(module: nn.Module, calls: list) -> str:
    """What decides a layer's timing besides its widths: its settings and the shapes of its arguments (so that
    repeated blocks are timed once)."""
    shapes = [[list(a.shape) if isinstance(a, torch.Tensor) else repr(a) for a in (*args, *kwargs.values())]
              for args, kwargs in calls]
    return repr(module) + json.dumps(shapes)


def _layer_at(module: nn.Module, layer: Layer, graph, args: tuple, kwargs: dict, cin: int,
              cout: Optional[int]) -> Tuple[nn.Module, List[torch.Tensor]]:
    """A fresh copy of a layer with ``cin`` inputs and ``cout`` outputs, and its recorded arguments with
    ``cin`` channels, as (a module of the tensors, the tensors)."""
    family = layer_type(layer.kind)
    full = graph.in_channels(layer, [g.channels for g in graph.groups])
    fresh = family.shapes(module, layer, cin, cout)
    like = next(itertools.chain(module.parameters(recurse=False), module.buffers(recurse=False)), None)
    resized_layer = _bare_copy(module)
    if like is not None:
        set_layer_tensors(resized_layer, layer, {name: like.new_empty(shape) for name, shape in fresh.items()},
                          channels=cin)
    else:
        family.set_channels(resized_layer, layer, cin)
    family.reset(resized_layer, layer)

    def resized(value):
        if not isinstance(value, torch.Tensor) or value.dim() == 0 or value.shape[family.input_dim] != full:
            return value
        shape = list(value.shape)
        shape[family.input_dim] = cin
        return value.new_zeros(shape)

    args, kwargs = tuple(resized(a) for a in args), {k: resized(v) for k, v in kwargs.items()}
    tensors = [a for a in (*args, *kwargs.values()) if isinstance(a, torch.Tensor)]
    return _RecordedCall(resized_layer, args, kwargs).eval(), tensors


def _bare_copy(module: nn.Module) -> nn.Module:
    """A deep copy of a plain (static) layer: a supernet's layers read their tensors through the active index
    sets, which the copy must not."""
    duplicate = copy.deepcopy(module)
    make_static(duplicate)
    return duplicate


PROBED_DIVISORS = (32, 16, 8, 4, 2)


def _probe_divisor(model: nn.Module, space: WidthSpace, runtime: Runtime, batch: int, scope: Optional[str],
                   ratio: float = 0.75, gain: float = 1.1) -> dict:
    """The largest channel multiple ``d`` the runtime prefers: a subnet at about ``ratio`` of every width,
    rounded to multiples of ``d``, against the same widths moved by ``d / 2`` off them (multiples of ``d / 2``
    only), each timed end to end; ``d`` is suggested when the moved subnet takes ``gain`` times longer per FLOP.
    Groups split into blocks and groups too narrow to move keep their width."""
    def subnet(divisor: int, offset: int) -> Subnet:
        widths = {}
        for name in space.names:
            full = space.channels(name)
            width = max(divisor, int(ratio * full / divisor + 0.5) * divisor) - offset
            widths[name] = width if space.blocks[name] == 1 and 0 < width <= full else full
        return widths

    probes = []
    for divisor in PROBED_DIVISORS:
        aligned, moved = subnet(divisor, 0), subnet(divisor, divisor // 2)
        if aligned == moved:
            continue
        per_flop = [ms / space.flops(widths) for widths, ms in
                    zip((aligned, moved), measure_subnets(model, space, [aligned, moved], runtime, batch, scope))]
        probes.append(dict(divisor=divisor, slowdown=per_flop[1] / per_flop[0]))
    suggested = next((p['divisor'] for p in probes if p['slowdown'] >= gain), 1)
    return dict(suggested=suggested, gain=gain, probes=probes)


def _fit(points: List[dict]) -> dict:
    """``measured = scale * table + offset`` by least squares of the relative errors over the anchors (so that
    the largest subnet does not outweigh the others: the figure a budget needs is a relative one), offset only
    when the scale comes out non-positive (noise on a flat model)."""
    x = np.array([p['table_ms'] for p in points])
    y = np.array([p['measured_ms'] for p in points])
    if np.ptp(x) > 0:
        scale, offset = np.polyfit(x, y, 1, w=1 / y)
        if scale > 0:
            return dict(scale=float(scale), offset_ms=float(offset))
    return dict(scale=1.0, offset_ms=float(np.median(y - x)))


def structure(space: WidthSpace, scope: Optional[str]) -> Dict[str, Any]:
    """What a table's figures depend on in the model: its groups and their channels, its layers and its input
    size (not the width choices: the grid covers any width in its range)."""
    graph = space.graph
    return dict(input_shape=list(graph.input_shape), entry=graph.entry, scope=scope,
                groups=[[g.name, g.channels] for g in graph.groups],
                layers=[layer.name for layer in graph.layers])


def _describe(record: dict) -> str:
    return ', '.join(f'{key} {value}' for key, value in record.items())


def prepare_subnet(model: nn.Module, space: WidthSpace, subnet: Subnet, runtime: Runtime, batch: int = 1,
                   scope: Optional[str] = None) -> Callable[[], Any]:
    """``subnet`` exported from ``model`` as a plain model, ready to run on ``runtime`` (:meth:`Runtime.prepare`):
    its traced entry on a batch of zeros, or the module ``scope`` alone on the input it gets."""
    index_sets = subnet_index_sets(space.full(), subnet, 'left', blocks=space.blocks)
    static = export_static_model(model, space, index_sets).eval()
    inputs = torch.zeros(batch, *space.graph.input_shape)
    if scope is None:
        return runtime.prepare(TensorEntry(static, space.graph.entry), [inputs])
    (args, kwargs), = _record_calls(static, [scope], inputs, space.graph.entry)[scope][:1]
    tensors = [a for a in (*args, *kwargs.values()) if isinstance(a, torch.Tensor)]
    return runtime.prepare(_RecordedCall(static.get_submodule(scope), args, kwargs), tensors)


def measure_subnets(model: nn.Module, space: WidthSpace, subnets: Sequence[Subnet], runtime: Runtime,
                    batch: int = 1, scope: Optional[str] = None, rounds: int = 3,
                    pace_subnet: Optional[Subnet] = None, pace_ms: Optional[float] = None, **timing) -> List[float]:
    """The latency (ms) of each subnet timed end to end (:func:`prepare_subnet`), in ``rounds`` interleaved
    rounds (:meth:`Runtime.measure_interleaved`), paced by ``pace_subnet`` at ``pace_ms`` when given. Each
    distinct subnet is exported and prepared once (the pace is often one of them: the largest anchor)."""
    prepared: Dict[tuple, Callable[[], Any]] = {}

    def run_of(subnet: Subnet) -> Callable[[], Any]:
        key = tuple(sorted(subnet.items()))
        if key not in prepared:
            prepared[key] = prepare_subnet(model, space, subnet, runtime, batch, scope)
        return prepared[key]

    runs = [run_of(subnet) for subnet in subnets]
    pace = run_of(pace_subnet) if pace_subnet is not None else None
    timing.setdefault('min_seconds', 0.2)
    return runtime.measure_interleaved(runs, rounds, pace, pace_ms, **timing)
