"""Shared helpers: configs shipped inside the mmpretrain/mmdet packages, and models built from them; the
command-line tools run as a user runs them, their one-line errors, and a trained digits supernet."""
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from torch import nn

from mmwidth.utils.config import build_model

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(__file__).resolve().parents[2] / 'shared' / 'data'
CBM_RESNET_TABLE = SHARED_DATA / 'channel_bench_macro' / 'Results_ResNet.json'


def package_config(package: str, relative: str) -> str:
    """Path of a config that ships inside an installed OpenMMLab package (``<pkg>/.mim/configs/...``)."""
    root = Path(importlib.import_module(package).__file__).parent / '.mim' / 'configs'
    return str(root / relative)


PACKAGE_CONFIGS = dict(
    resnet50=('mmpretrain', 'resnet/resnet50_8xb32_in1k.py'),
    resnet18=('mmpretrain', 'resnet/resnet18_8xb32_in1k.py'),
    resnet18_cifar=('mmpretrain', 'resnet/resnet18_8xb16_cifar10.py'),
    mobilenet_v2=('mmpretrain', 'mobilenet_v2/mobilenet-v2_8xb32_in1k.py'),
    efficientnet_b0=('mmpretrain', 'efficientnet/efficientnet-b0_8xb32_in1k.py'),
    retinanet=('mmdet', 'retinanet/retinanet_r50_fpn_1x_coco.py'),
)


def config_path(name: str) -> str:
    return package_config(*PACKAGE_CONFIGS[name])


def build_package_model(name: str):
    return build_model(Config.fromfile(config_path(name)))


DIGITS_SUPERNET = 'configs/bcnet/bcnet_cbm-resnet_digits.py'
DIGITS_SEARCH = 'configs/bcnet/bcnet_cbm-resnet_search_digits.py'
# argparse's own "usage: ... / prog: error: ..." counts as the one line too
ERROR_LINE = re.compile(r'^(\S+: )?error: ')


def tool(script: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
    """Runs ``tools/<script>`` from the repository root as a user would."""
    return subprocess.run([sys.executable, str(ROOT / 'tools' / script), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=600, **kwargs)


def one_line_error(result: subprocess.CompletedProcess, *words: str) -> str:
    """The tool failed (status 2) with exactly one ``error:`` line, its last, holding ``words``, no traceback."""
    assert result.returncode == 2, result.stderr[-3000:]
    assert 'Traceback' not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if ERROR_LINE.match(line)]
    assert len(errors) == 1 and result.stderr.strip().splitlines()[-1] == errors[0], result.stderr[-3000:]
    assert all(word in errors[0] for word in words), errors[0]
    return errors[0]


@pytest.fixture(scope='session')
def digits_supernet(tmp_path_factory) -> Path:
    """A BCNet digits supernet trained for 20 iterations by tools/train.py (its ``iter_20.pth``), shared by the
    tests that need real trained weights but not good ones."""
    work_dir = tmp_path_factory.mktemp('digits_supernet')
    result = tool('train.py', DIGITS_SUPERNET, '--work-dir', str(work_dir), '--cfg-options', 'train_cfg.max_iters=20',
                  'train_cfg.val_interval=1000', 'default_hooks.checkpoint.interval=20')
    assert result.returncode == 0, result.stderr[-3000:]
    return work_dir / 'iter_20.pth'


@pytest.fixture(scope='session')
def cbm_resnet_table() -> Path:
    if not CBM_RESNET_TABLE.is_file():
        pytest.skip(f'Channel-Bench-Macro table not found at {CBM_RESNET_TABLE}')
    return CBM_RESNET_TABLE


class ConcatNet(nn.Module):
    """Two branches concatenated (offsets), a depthwise conv, a flatten into a linear layer."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, padding=1)
        self.b = nn.Conv2d(3, 6, 3, padding=1)
        self.bn = nn.BatchNorm2d(10)
        self.dw = nn.Conv2d(10, 10, 3, padding=1, groups=10)
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.fc = nn.Linear(40, 5)

    def forward(self, x):
        y = self.dw(self.bn(torch.cat([self.a(x), self.b(x)], dim=1)))
        return self.fc(torch.flatten(self.pool(y), 1))
