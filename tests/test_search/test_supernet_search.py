"""Search, export and test on a trained BCNet digits supernet, through the command-line tools: the exported
model scores what the search scored, a killed search resumes to the same result, 2 processes agree with 1."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

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
    ok(tool('search.py', SEARCH, '--checkpoint', str(supernet), '--work-dir', str(work_dir), *extra,
            '--cfg-options', *SMALL, **kwargs))
    return json.loads((work_dir / 'search_result.json').read_text())


@pytest.fixture(scope='module')
def straight(supernet, tmp_path_factory) -> Path:
    """An uninterrupted one-process search: its work dir (the result that the other runs must reproduce)."""
    work_dir = tmp_path_factory.mktemp('straight')
    search(supernet, work_dir)
    return work_dir


def test_exported_model_scores_what_the_search_scored(supernet, straight, tmp_path):
    """With scoring settings other than the config's (4 calibration batches, not 10), given to the search only:
    the export recalibrates as search_result.json records, and tests to the search's score."""
    result = json.loads((straight / 'search_result.json').read_text())
    assert {'left', 'right'} == set(result['patterns'])
    assert result['score'] == pytest.approx(sum(result['patterns'].values()) / 2)
    assert result['scoring']['calibration']['num_batches'] == 4 and result['scoring']['metric'] == 'accuracy/top1'
    for side in ('left', 'right'):
        out = tmp_path / side
        ok(tool('export_subnet.py', SEARCH, str(straight / 'search_result.json'), '--checkpoint',
                str(supernet), '--out', str(out), '--side', side))
        assert {'model.pth', 'config.py', 'subnet.json'} <= {p.name for p in out.iterdir()}
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
    """Starts tools/search.py and kills it (SIGKILL) once it has saved its state after the first generation, in
    the middle of the second."""
    command = [sys.executable, str(ROOT / 'tools' / 'search.py'), config, '--checkpoint', str(supernet),
               '--work-dir', str(work_dir), '--cfg-options', *options]
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_two_processes_find_what_one_finds(supernet, straight, tmp_path):
    single = json.loads((straight / 'search_result.json').read_text())
    double = search(supernet, tmp_path / 'two', launcher=free_port())
    assert double['subnet'] == single['subnet']
    assert [e['score'] for e in double['history']] == [e['score'] for e in single['history']]
