"""Latency tables and budgets: the table's format and its interpolation, its refusal off its machine, runtime
or model, latency budgets (syntax, feasibility, scope), the prior's form, and a latency search through
tools/train.py whose choice is made on end-to-end timings. Timings themselves are a benchmark's business
(benchmarks/latency_budget.py); these tests check what the figures go through."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from mmwidth.apis.analysis import load_model_and_space
from mmwidth.latency.runtimes import build_runtime, median_ms
from mmwidth.latency.table import LatencyTable, LatencyTableError
from mmwidth.search.budget import Budget, BudgetError
from mmwidth.utils.errors import ConfigError

from conftest import one_line_error, tool

SUPERNET = 'configs/bcnet/bcnet_cbm-resnet_digits.py'
LATENCY_SEARCH = 'configs/bcnet/bcnet_cbm-resnet_search_latency_digits.py'


@pytest.fixture(scope='module')
def digits():
    model, space, _ = load_model_and_space(SUPERNET)
    return model, space


@pytest.fixture(scope='module')
def built(digits, tmp_path_factory) -> Path:
    """A real table of the digits supernet on PyTorch eager (the quickest runtime to build on), saved."""
    model, space = digits
    table = LatencyTable.build(model, space, build_runtime('torch', threads=1), grid=2, anchors=3,
                               probe_divisor=False)
    path = tmp_path_factory.mktemp('table') / 'table.json'
    table.save(str(path))
    return path


def bilinear_record(record: dict, coefficients=(0.05, 0.001, 0.002, 1e-5)) -> dict:
    """``record`` with each layer's timings replaced by ``a + b cin + c cout + d cin cout`` at its grid points, and
    the fit by scale 2, offset 0.5: a table whose every prediction is known exactly."""
    a, b, c, d = coefficients
    record = json.loads(json.dumps(record))
    for layer in record['layers']:
        outs = layer['out'] or [None]
        layer['ms'] = [a + b * cin + (c * cout + d * cin * cout if cout is not None else 0)
                       for cin in layer['in'] for cout in outs]
    record['fit'] = dict(scale=2.0, offset_ms=0.5)
    return record


def expected_ms(space, widths: dict, coefficients=(0.05, 0.001, 0.002, 1e-5)) -> float:
    a, b, c, d = coefficients
    graph = space.graph
    every = [widths.get(g.name, g.channels) for g in graph.groups]
    total = 0.0
    for layer in graph.layers:
        cin = graph.in_channels(layer, every)
        total += a + b * cin + (0 if layer.output is None else c * every[layer.output]
                                + d * cin * every[layer.output])
    return 2.0 * total + 0.5


def test_the_table_records_what_its_figures_hold_for_and_round_trips(digits, built):
    model, space = digits
    record = json.loads(built.read_text())
    assert record['format'] == 'mmwidth-latency-table' and record['runtime']['runtime'] == 'torch'
    assert record['runtime']['threads'] == 1 and record['batch'] == 1 and record['input_shape'] == [3, 16, 16]
    assert set(record['machine']) >= {'cpu', 'cores'} and 'torch' in record['runtime']['versions']
    assert [layer['name'] for layer in record['layers']] == [layer.name for layer in space.graph.layers]
    assert len(record['fit']['anchors']) == 3 and record['fit']['scale'] > 0
    conv = next(layer for layer in record['layers'] if layer['name'] == 'backbone.layer1.0.conv1')
    assert conv['in'] == [64, 256] and conv['out'] == [64, 256]  # the extremes of the grid of 2
    assert all(ms >= 0 for layer in record['layers'] for ms in layer['ms'])
    table = LatencyTable.load(str(built), space)
    widths = np.array([[space.largest()[n] for n in space.names], [space.smallest()[n] for n in space.names]])
    assert table.predict_batch(widths) == pytest.approx([table.predict(space.largest()),
                                                         table.predict(space.smallest())])


def test_predictions_interpolate_each_layer_bilinearly_between_its_grid_points(digits, built):
    """Off the grid (192 channels lies between 64 and 256) the prediction of a table whose timings are bilinear
    in each layer's widths is exact; a nearest-point or per-axis-only lookup would not be."""
    _, space = digits
    table = LatencyTable(bilinear_record(json.loads(built.read_text())), space)
    generator = np.random.default_rng(0)
    for _ in range(5):
        widths = {name: int(generator.choice(space.choices[name])) for name in space.names}
        assert table.predict(widths) == pytest.approx(expected_ms(space, widths), rel=1e-9)
    soft = torch.tensor([(min(space.choices[n]) + max(space.choices[n])) / 2 + 0.5 for n in space.names],
                        requires_grad=True)
    table.predict_tensor(soft).sum().backward()
    assert (soft.grad > 0).all()  # differentiable in every group's width (Dagger's soft widths)


def test_the_quadratic_form_reproduces_a_table_that_is_quadratic(digits, built):
    _, space = digits
    table = LatencyTable(bilinear_record(json.loads(built.read_text())), space)
    form = table.quadratic_form(samples=512)
    widths = space.largest()
    vector = np.array([1.0] + [widths[n] for n in space.names])
    assert vector @ form @ vector == pytest.approx(table.predict(widths), rel=1e-6)


@pytest.mark.parametrize('key,value,words', [
    ('machine', dict(cpu='Some Other CPU', cores=64, system='Linux', arch='x86_64'), ('another machine', 'Other')),
    ('versions', dict(torch='1.0.0'), ('another version', 'torch 1.0.0')),
])
def test_a_table_from_another_machine_or_runtime_version_is_refused_unless_forced(digits, built, tmp_path, key,
                                                                                  value, words):
    _, space = digits
    record = json.loads(built.read_text())
    if key == 'machine':
        record['machine'] = value
    else:
        record['runtime']['versions'] = value
    foreign = tmp_path / 'foreign.json'
    foreign.write_text(json.dumps(record))
    with pytest.raises(LatencyTableError) as err:
        LatencyTable.load(str(foreign), space)
    assert all(word in str(err.value) for word in words) and '\n' not in str(err.value)
    assert LatencyTable.load(str(foreign), space, force=True).predict(space.largest()) > 0


def test_a_table_of_another_model_or_input_size_is_refused_even_forced(built, tmp_path):
    _, other, _ = load_model_and_space(SUPERNET, input_shape=(3, 24, 24))
    with pytest.raises(LatencyTableError, match='another model or input size'):
        LatencyTable.load(str(built), other, force=True)
    for text, words in (('{"format": "x"}', 'not an mmwidth latency table'), ('{', 'not readable JSON')):
        bad = tmp_path / 'bad.json'
        bad.write_text(text)
        with pytest.raises(LatencyTableError, match=words):
            LatencyTable.load(str(bad), other)
    with pytest.raises(LatencyTableError, match='does not exist; build one'):
        LatencyTable.load(str(tmp_path / 'missing.json'), other)
    with pytest.raises(LatencyTableError, match=r'dict\(file=FILE'):
        LatencyTable.from_option(dict(path=str(built)), other)


def test_latency_budgets_parse_check_feasibility_and_combine_with_flops(digits, built):
    _, space = digits
    table = LatencyTable.load(str(built), space)
    largest = table.predict(space.largest())
    budget = Budget(space, latency='50%', latency_table=str(built), window=0)
    assert budget.limits['latency'] == pytest.approx(largest / 2)
    assert Budget(space, latency=f'{largest:.4f}ms', latency_table=table).limits['latency'] == \
        pytest.approx(largest, abs=1e-4)
    assert budget.admits(space.smallest()) and not budget.admits(space.largest())
    assert budget.costs(space.smallest())['latency'] == pytest.approx(table.predict(space.smallest()))
    both = Budget(space, flops='60%', latency='90%', latency_table=table, window=0)
    assert set(both.limits) == {'flops', 'latency'} and 'ms' in both.describe()
    form, limit = Budget(space, latency='50%', latency_table=table).prior_form()
    assert form.shape == (len(space.names) + 1, ) * 2 and limit == pytest.approx(largest / 2)
    smallest = min(table.predict(space.smallest()), table.predict_batch(
        np.array([[min(space.choices[n]) for n in space.names]])).min())
    for kwargs, words in ((dict(latency='8ms'), 'needs latency_table'),
                          (dict(latency=f'{smallest / 2}ms', latency_table=table), 'no subnet meets the budget'),
                          (dict(latency='fast', latency_table=table), 'number of milliseconds'),
                          (dict(latency='50%', latency_table=table, scope='backbone'), 'built for scope None'),
                          (dict(latency='50%', latency_table=table, finalists=0), 'finalists')):
        with pytest.raises(BudgetError, match=words):
            Budget(space, **kwargs)


def test_the_drift_compares_the_anchors_now_with_their_times_at_build(digits, built):
    """Anchors recorded 1000x slower than they run read as a machine that got faster (drift well below 1), and
    recorded 1000x faster as one that got slower; the subnets' timings come back apart from the anchors'."""
    model, space = digits
    table = LatencyTable.load(str(built), space)
    anchors = table.record['fit']['anchors'][:2]
    assert [a['subnet'] for a in anchors] == [space.smallest(), space.largest()]
    subnets = [space.smallest(), space.largest(), space.largest()]
    now = table.measure(model, [space.smallest()], paced=False, rounds=1, min_seconds=0.02)[0]
    for factor, holds in ((1000.0, lambda d: d < 0.1), (0.001, lambda d: d > 10)):
        for anchor in anchors:
            anchor['measured_ms'] = now * factor
        times, drift = table.measure_with_drift(model, subnets, paced=False, rounds=1, min_seconds=0.02)
        assert len(times) == len(subnets) and all(t > 0 for t in times)
        assert set(drift) == {'smallest', 'largest'} and all(holds(d) for d in drift.values()), (factor, drift)


def test_paced_timings_are_fractions_of_the_largest_subnet_at_its_time_at_the_build(digits, built):
    """Paced, the largest subnet reads as the largest anchor's time at the build (here set 1000x off what it takes)
    and the smallest as its share of that: a machine that runs everything k times slower changes neither."""
    model, space = digits
    table = LatencyTable.load(str(built), space)
    largest, smallest = table.measure(model, [space.largest(), space.smallest()], paced=False, rounds=1,
                                      min_seconds=0.02)
    table.record['fit']['anchors'][1]['measured_ms'] = 1000 * largest
    paced = table.measure(model, [space.largest(), space.smallest()], rounds=1, min_seconds=0.02)
    assert 500 * largest < paced[0] < 2000 * largest
    assert paced[1] < paced[0] and 300 * smallest < paced[1] < 3000 * smallest


def test_runtimes_are_named_timed_and_refused_by_name():
    assert median_ms(lambda: None, warmup=0, min_repeats=3, min_seconds=0) >= 0
    with pytest.raises(ConfigError, match='unknown latency runtime'):
        build_runtime('tensorrt-on-the-moon')
    with pytest.raises(ConfigError, match='threads must be a positive number'):
        build_runtime('torch', threads=0)
    onnx = build_runtime('onnxruntime', threads=1)
    assert onnx.record()['versions']['onnxruntime']
    assert onnx.measure(torch.nn.Conv2d(3, 4, 1), [torch.zeros(1, 3, 8, 8)]) > 0


def test_the_table_tool_builds_a_table_and_refuses_bad_input(tmp_path):
    out = tmp_path / 'tables' / 'ort.json'  # its folder made
    result = tool('analysis/latency_table.py', SUPERNET, '--out', str(out), '--threads', '1', '--grid', '2',
                  '--anchors', '2', '--no-divisor-probe', '--json')
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert summary['runtime']['runtime'] == 'onnxruntime' and summary['layers'] == 12  # batch norms folded
    assert json.loads(out.read_text())['format'] == 'mmwidth-latency-table'
    one_line_error(tool('analysis/latency_table.py', SUPERNET, '--out', str(tmp_path), '--json'), 'is a directory')
    one_line_error(tool('analysis/latency_table.py', SUPERNET, '--out', str(out), '--runtime', 'nope'),
                   'unknown latency runtime')


def test_a_latency_search_chooses_on_end_to_end_timings(digits, digits_supernet, tmp_path):
    """tools/train.py on the latency search config, its table named by the runtime (measured on first use into
    the work dir): the finalists are timed end to end, the kept subnet is the best-scoring one whose measured
    latency meets the limit, and search_result.json says both figures."""
    config = tmp_path / 'search.py'
    config.write_text(f"_base_ = ['{Path(LATENCY_SEARCH).resolve()}']\n"
                      "train_cfg = dict(budget=dict(latency_table=dict(\n"
                      "    _delete_=True, runtime='torch', threads=1, grid=2, anchors=2)))\n")
    work_dir = tmp_path / 'work'
    result = tool('train.py', str(config), '--work-dir', str(work_dir), '--cfg-options',
                  f'load_from={digits_supernet}', 'train_cfg.budget.finalists=3',
                  'train_cfg.scorer.calibration_batches=2', 'train_cfg.population_size=4', 'train_cfg.top_k=3',
                  'train_cfg.num_mutation=2', 'train_cfg.num_crossover=2', 'train_cfg.max_generations=2',
                  'train_cfg.max_evaluations=8')
    assert result.returncode == 0, result.stderr[-3000:]
    _, space = digits
    table = LatencyTable.load(str(work_dir / 'latency_table_torch.json'), space)
    assert table.record['runtime']['threads'] == 1 and len(table.record['fit']['anchors']) == 2
    found = json.loads((work_dir / 'search_result.json').read_text())
    limit = found['budget']['limits']['latency']
    assert limit == pytest.approx(0.5 * table.predict(space.largest()))
    finalists = found['finalists']
    assert len(finalists) >= 3 and all(f['admitted'] == (f['measured_ms'] <= limit) for f in finalists)
    assert all(set(f['table_drift']) == {'smallest', 'largest'} and min(f['table_drift'].values()) > 0
               for f in finalists)

    def widths(candidate):
        return {n: space.choices[n][c] for n, c in zip(space.names, candidate)}

    assert all(e['latency_ms'] == pytest.approx(table.predict(widths(e['candidate']))) for e in found['history'])
    kept = finalists[0]
    assert found['subnet'] == widths(kept['candidate'])
    assert found['latency_ms']['measured'] == kept['measured_ms'] and found['latency_ms']['runtime'] == 'torch'
    if any(f['admitted'] for f in finalists):  # kept: the best-scoring admitted finalist
        admitted = [f for f in finalists if f['admitted']]
        assert kept['admitted'] and kept['score'] == max(f['score'] for f in admitted)
    assert 'measuring the latency table on torch (once)' in result.stdout + result.stderr
