"""tools/train.py and tools/test.py end to end on the digits: train, auto-resume, test, and one-line errors."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mmwidth.ground_truth.cbm_table import cbm_model_cfg

ROOT = Path(__file__).resolve().parents[2]
BASES = [str(ROOT / 'configs' / '_base_' / 'datasets' / 'digits_bs64.py'),
         str(ROOT / 'configs' / '_base_' / 'default_runtime.py')]
# The smallest Channel-Bench-Macro ResNet: about 0.07 s an iteration at batch 64 on 2 CPU cores. SGD without
# momentum at lr 0.1 reaches about 60% at 30 iterations and over 90% at 60 (with momentum 0.9 it is slower).
# The infinite sampler avoids the 2 s pause MMEngine's iteration-based loop makes at every epoch end otherwise.
CONFIG = f'''
_base_ = {BASES!r}
model = {cbm_model_cfg('resnet', arch='1111111')!r}
train_dataloader = dict(sampler=dict(type='InfiniteSampler', shuffle=True))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=30, val_interval=30)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.0, weight_decay=1e-4))
default_hooks = dict(checkpoint=dict(interval=30, by_epoch=False))
log_processor = dict(by_epoch=False)
'''


def run_tool(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / 'tools' / script), *args], capture_output=True, text=True,
                          cwd=ROOT)


def accuracies(output: str) -> list:
    return [float(value) for value in re.findall(r'accuracy/top1: ([\d.]+)', output)]


@pytest.fixture(scope='module')
def config(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp('config') / 'digits_cbm_resnet.py'
    path.write_text(CONFIG)
    return path


def test_train_resume_test(config, tmp_path):
    work_dir = tmp_path / 'work'
    result = run_tool('train.py', str(config), '--work-dir', str(work_dir))
    assert result.returncode == 0, result.stderr[-3000:]
    assert (work_dir / 'iter_30.pth').is_file()
    (first, ) = accuracies(result.stdout)
    assert first > 20  # chance is 10%

    result = run_tool('train.py', str(config), '--work-dir', str(work_dir), '--resume', '--cfg-options',
                      'train_cfg.max_iters=60', 'train_cfg.val_interval=30')
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'resumed epoch: 0, iter: 30' in result.stdout
    logged_iters = [int(i) for i in re.findall(r'Iter\(train\) \[\s*(\d+)/60\]', result.stdout)]
    assert logged_iters == [40, 50, 60]  # continued, not restarted
    assert (work_dir / 'iter_60.pth').is_file()
    (second, ) = accuracies(result.stdout)
    assert second > 50

    result = run_tool('test.py', str(config), str(work_dir / 'iter_60.pth'), '--work-dir', str(tmp_path / 'test'),
                      '--out', str(tmp_path / 'metrics.json'), '--out-item', 'metrics')
    assert result.returncode == 0, result.stderr[-3000:]
    printed = re.search(r'^accuracy/top1: ([\d.]+)$', result.stdout, re.M)
    assert printed and float(printed.group(1)) > 50
    assert (tmp_path / 'metrics.json').read_text().startswith('{"accuracy/top1"')


@pytest.mark.parametrize('script,args,message', [
    ('train.py', ['{tmp}/missing.py'], 'config file not found: {tmp}/missing.py'),
    ('train.py', ['{config}', '--resume', '{tmp}/none.pth'], 'checkpoint not found: {tmp}/none.pth'),
    ('test.py', ['{config}', '{tmp}/none.pth'], 'checkpoint not found: {tmp}/none.pth'),
    ('test.py', ['{tmp}/missing.py', '{tmp}/none.pth'], 'config file not found: {tmp}/missing.py'),
    ('test.py', ['{config}', '{tmp}/none.pth', '--out', '{tmp}/out.txt'],
     '--out-item pred needs --out to end with .pkl or .pickle, got {tmp}/out.txt'),
])
def test_one_line_errors(config, tmp_path, script, args, message):
    result = run_tool(script, *[arg.format(tmp=tmp_path, config=config) for arg in args])
    assert result.returncode == 2
    assert 'Traceback' not in result.stderr
    assert result.stderr.strip().splitlines() == [f'error: {message.format(tmp=tmp_path)}']


@pytest.mark.skipif(torch.cuda.is_available(), reason='the errors are about running without a GPU')
def test_cpu_launcher_errors(config):
    result = run_tool('train.py', str(config), '--launcher', 'slurm')
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        'error: --launcher slurm needs GPUs; on CPUs launch with torchrun and --launcher pytorch']
    result = run_tool('train.py', str(config), '--launcher', 'pytorch')
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith('error: --launcher pytorch expects the environment')
