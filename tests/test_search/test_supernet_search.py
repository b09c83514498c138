"""Search, export and test on a trained BCNet digits supernet, through the command-line tools: tools/train.py runs
a search config (tools/search.py is the same search under its older name), the exported model scores what the
search scored, a killed search resumes to the same result with --resume, 2 processes agree with 1."""
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mmwidth.search.scorers import split_score_bound

ROOT = Path(__file__).resolve().parents[2]
SUPERNET = 'configs/bcnet/bcnet_cbm-resnet_digits.py'
SEARCH = 'configs/bcnet/bcnet_cbm-resnet_search_digits.py'
SMALL = ['train_cfg.scorer.calibration_batches=4', 'train_cfg.population_size=4', 'train_cfg.top_k=3',
         'train_cfg.num_mutation=2', 'train_cfg.num_crossover=2', 'train_cfg.max_generations=3',
         'train_cfg.max_evaluations=12']


def tool(script: str, *args: str, launcher=None, **kwargs) -> subprocess.CompletedProcess:
    command = [sys.executable, str(ROOT / 'tools' / script), *args] if launcher is None else \
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2', f'--master_port={launcher}',
         str(ROOT / 'tools' / script), *args, '--launcher', 'pytorch']
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, **kwargs)


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope='module')
def supernet(tmp_path_factory) -> Path:
    work_dir = tmp_path_factory.mktemp('supernet')
    ok(tool('train.py', SUPERNET, '--work-dir', str(work_dir), '--cfg-options', 'train_cfg.max_iters=30',
            'train_cfg.val_interval=1000', 'default_hooks.checkpoint.interval=30'))
    return work_dir / 'iter_30.pth'


def search(supernet: Path, work_dir: Path, *extra: str, **kwargs) -> dict:
    """A search run as a training: tools/train.py on the search config, the supernet as load_from."""
    ok(tool('train.py', SEARCH, '--work-dir', str(work_dir), *extra, '--cfg-options', f'load_from={supernet}',
            *SMALL, **kwargs))
    return json.loads((work_dir / 'search_result.json').read_text())


@pytest.fixture(scope='module')
def straight(supernet, tmp_path_factory) -> Path:
    """An uninterrupted one-process search: its work dir (the result that the other runs must reproduce)."""
    work_dir = tmp_path_factory.mktemp('straight')
    search(supernet, work_dir)
    return work_dir


def test_train_py_runs_the_search_and_the_runner_owns_it(straight):
    """train.py on a search config searches (it does not retrain the supernet): the results are written, no
    training checkpoint is saved, and the runner's logger printed the search's scalars with an ETA."""
    files = {p.name for p in straight.iterdir()}
    assert {'search_result.json', 'subnet.json', 'search_state.pth', 'search_population.png'} <= files
    assert not any(name.startswith('iter_') or name == 'last_checkpoint' for name in files)
    result = json.loads((straight / 'search_result.json').read_text())
    assert result['loop'] == 'EvolutionSearchLoop' and result['evaluations'] == 12
    log = next(straight.glob('*/*.log')).read_text()
    assert re.search(r'Iter\(train\) \[ *4/12\].*eta: .*score: [0-9.]+ +best_score: [0-9.]+ +mflops: [0-9.]+', log)
    scalars = [json.loads(line) for line in next(straight.glob('*/vis_data/scalars.json')).read_text().splitlines()]
    assert [row['step'] for row in scalars if 'population_mean_score' in row] == [1, 2, 3]


def test_search_py_is_train_py_under_another_name(supernet, straight, tmp_path):
    ok(tool('search.py', SEARCH, '--checkpoint', str(supernet), '--work-dir', str(tmp_path), '--cfg-options',
            *SMALL))
    alias, expected = (json.loads((d / 'search_result.json').read_text()) for d in (tmp_path, straight))
    assert alias['subnet'] == expected['subnet'] and alias['history'] == expected['history']


def test_racing_stops_candidates_below_the_top_k_and_keeps_the_result(supernet, tmp_path):
    """Racing stops some candidates on part of the split; without it every candidate is scored in full, and the
    chosen subnet and every fully scored candidate's score are the same. At the default 99% confidence a
    30-iteration supernet's candidates (all within ~10 points) are rarely stopped on 72 images, so this race is
    run at 90% on half the split, where the bound (a few points) is narrower than their spread."""
    raced = search(supernet, tmp_path / 'raced', '--cfg-options', 'train_cfg.scorer.racing.confidence=0.9',
                   'train_cfg.scorer.racing.fraction=0.5')
    full = search(supernet, tmp_path / 'full', '--cfg-options', 'train_cfg.scorer.racing=None')
    assert any(entry.get('raced') for entry in raced['history'])
    assert not any(entry.get('raced') for entry in full['history'])
    assert raced['subnet'] == full['subnet'] and raced['score'] == full['score']
    scores = {tuple(e['candidate']): e['score'] for e in full['history']}
    assert all(scores.get(tuple(e['candidate']), e['score']) == e['score'] for e in raced['history']
               if not e.get('raced'))


def test_the_race_bound_counts_the_scored_part_of_the_split_as_known():
    """The bound is on the whole split's score, of which the scored part is known: nothing is left to estimate
    once the whole split is scored, and a part of a quarter narrows the bound by sqrt(3/4) against sampling
    from an unbounded split."""
    assert split_score_bound(90.0, 288, 288, 2.33) == 90.0
    assert split_score_bound(90.0, 72, 288, 2.0) == pytest.approx(90 + 2 * math.sqrt(0.75 * 90 * 10 / 72))
    assert split_score_bound(90.0, 72, 10**12, 2.0) == pytest.approx(90 + 2 * math.sqrt(90 * 10 / 72))
    assert split_score_bound(100.0, 72, 288, 2.0) == 100.0 and split_score_bound(-1.0, 72, 288, 2.0) == 0.0


def test_exported_model_scores_what_the_search_scored(supernet, straight, tmp_path):
    """With scoring settings other than the config's (4 calibration batches, not 10), given to the search only:
    the export recalibrates as search_result.json records, and tests to the search's score."""
    result = json.loads((straight / 'search_result.json').read_text())
    assert {'left', 'right'} == set(result['patterns'])
    assert result['score'] == pytest.approx(sum(result['patterns'].values()) / 2)
    assert result['scoring']['calibration']['num_batches'] == 4 and result['scoring']['metric'] == 'accuracy/top1'
    for side, receipt in (('left', []), ('right', ['--no-receipt'])):
        out = tmp_path / side
        printed = ok(tool('export_subnet.py', SEARCH, str(straight / 'search_result.json'), '--checkpoint',
                          str(supernet), '--out', str(out), '--side', side, '--receipt-batch', '2', *receipt)).stdout
        files = {p.name for p in out.iterdir()}
        assert {'model.pth', 'config.py', 'subnet.json'} <= files and ('receipt.json' in files) == (not receipt)
        if not receipt:  # the speed-up receipt, written and printed: both CPU runtimes, batch 1 and 2
            written = json.loads((out / 'receipt.json').read_text())
            assert {(name, entry['batch']) for key in ('latency_ms', 'throughput_ms')
                    for name, entry in written[key].items()} >= {(n, b) for n in ('onnxruntime', 'torch')
                                                                 for b in (1, 2)}
            assert 0 < written['flops']['ratio'] < 1 and 'latency onnxruntime (batch 1' in printed
        # the search scored on the held-out `val` split: test the exported model on the same data
        ok(tool('test.py', str(out / 'config.py'), str(out / 'model.pth'), '--work-dir', str(out / 'test'),
                '--out', str(out / 'metrics.json'), '--out-item', 'metrics', '--cfg-options',
                'test_dataloader.dataset.split=val'))
        accuracy = json.loads((out / 'metrics.json').read_text())['accuracy/top1']
        assert f'{accuracy:.2f}' == f'{result["patterns"][side]:.2f}'  # as tools/demo.py prints them


def test_export_errors(supernet, tmp_path):
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps({'backbone.layer9.residual': 3}))
    result = tool('export_subnet.py', SEARCH, str(bad), '--checkpoint', str(supernet), '--out', str(tmp_path))
    assert result.returncode == 2 and 'Traceback' not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(f'error: subnet file {bad}: unknown group')
    subnet = tmp_path / 'subnet.json'
    subnet.write_text(json.dumps({'backbone.layer1.residual': 64, 'backbone.layer1.0.conv1': 64,
                                  'backbone.layer1.1.conv1': 64, 'backbone.layer2.0.conv1': 128,
                                  'backbone.layer2.residual': 128, 'backbone.layer2.1.conv1': 128,
                                  'backbone.layer2.2.conv1': 128}))
    result = tool('export_subnet.py', 'configs/autoslim/autoslim_cbm-resnet_digits.py', str(subnet),
                  '--checkpoint', str(supernet), '--out', str(tmp_path / 'x'))
    assert result.returncode == 2
    assert 'does not fit the model of this config' in result.stderr.strip().splitlines()[-1]


def kill_after_the_first_generation(config: str, supernet: Path, work_dir: Path, options: list) -> None:
    """Starts tools/train.py on a search config and kills it (SIGKILL) once it has saved its state after the
    first generation, in the middle of the second."""
    command = [sys.executable, str(ROOT / 'tools' / 'train.py'), config, '--work-dir', str(work_dir),
               '--cfg-options', f'load_from={supernet}', *options]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = work_dir / 'search_state.pth'
    deadline = time.time() + 300
    while not state.exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert process.poll() is None, 'the search ended before it could be killed'
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


def test_killed_search_resumes_to_the_same_result(supernet, straight, tmp_path):
    work_dir = tmp_path / 'killed'
    kill_after_the_first_generation(SEARCH, supernet, work_dir, SMALL)
    resumed = search(supernet, work_dir, '--resume')
    expected = json.loads((straight / 'search_result.json').read_text())
    assert resumed['subnet'] == expected['subnet'] and resumed['history'] == expected['history']


def test_a_search_screened_by_a_surrogate_resumes_to_the_same_result(supernet, tmp_path):
    """The surrogate fits the supernet's scores (raced ones included) and screens the children; a killed search
    refits it from its saved candidates and ends as an uninterrupted one."""
    surrogate = 'train_cfg.surrogate.type=mmwidth.RidgeSurrogate'
    straight = search(supernet, tmp_path / 'straight', '--cfg-options', surrogate)
    assert straight['evaluations'] == 12
    kill_after_the_first_generation(SEARCH, supernet, tmp_path / 'killed', SMALL + [surrogate])
    resumed = search(supernet, tmp_path / 'killed', '--resume', '--cfg-options', surrogate)
    assert resumed['subnet'] == straight['subnet'] and resumed['history'] == straight['history']


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_two_processes_find_what_one_finds(supernet, straight, tmp_path):
    """tools/dist_train.sh with 2 CPU processes, racing included, gives the result of one."""
    single = json.loads((straight / 'search_result.json').read_text())
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()))
    ok(subprocess.run(['bash', str(ROOT / 'tools' / 'dist_train.sh'), SEARCH, '2', '--work-dir', str(tmp_path),
                       '--cfg-options', f'load_from={supernet}', *SMALL], capture_output=True, text=True, cwd=ROOT,
                      env=env))
    double = json.loads((tmp_path / 'search_result.json').read_text())
    assert double['subnet'] == single['subnet']
    assert [(e['score'], e.get('raced')) for e in double['history']] == \
        [(e['score'], e.get('raced')) for e in single['history']]
