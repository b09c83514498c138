"""Every CelebA and digit-mosaics supernet config trains: one iteration of its algorithm, on its own pipeline,
data preprocessor and optimizer, over a tiny CelebA release (and the generated mosaics) in a temporary ``data/``;
each attribute config keeps the multi-label head and a search that maximises the mean attribute accuracy."""
import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from test_shipped_configs import CONFIG_ROOT, first_batch, write_celeba

from mmwidth.utils.config import build_model, search_loop_type

ATTRIBUTE_CONFIGS = sorted(p for p in CONFIG_ROOT.glob('*/*celeba*.py'))
SUPERNETS = [p for p in ATTRIBUTE_CONFIGS if '_search_' not in p.name]


@pytest.fixture(scope='module')
def workdir(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp('celeba_workdir')
    write_celeba(workdir / 'data' / 'celeba', np.random.default_rng(0))
    return workdir


def test_every_method_has_its_attribute_configs():
    names = {p.name for p in ATTRIBUTE_CONFIGS}
    for algo in ('autoslim', 'bcnet', 'bcnetv2', 'cafenet'):
        for arch in ('resnet50', 'mobilenet-v2'):
            assert {f'{algo}_{arch}_supernet_celeba.py', f'{algo}_{arch}_search_celeba.py'} <= names
        assert {f'{algo}_cbm-resnet_celeba-mosaics.py', f'{algo}_cbm-resnet_search_celeba-mosaics.py'} <= names


@pytest.mark.parametrize('path', ATTRIBUTE_CONFIGS, ids=[p.name for p in ATTRIBUTE_CONFIGS])
def test_attribute_head_and_search_metric(path):
    cfg = Config.fromfile(str(path))
    assert cfg.model.architecture.head.type == 'mmpretrain.MultiLabelLinearClsHead'
    assert cfg.model.architecture.head.num_classes == cfg.data_preprocessor.num_classes == 40
    assert cfg.val_dataloader.dataset.split == 'val' and cfg.test_dataloader.dataset.split == 'test'
    assert cfg.search_dataloader.dataset.split == 'val'
    if search_loop_type(cfg) is not None:
        assert cfg.train_cfg.scorer.metric == 'attributes/mean_accuracy'


@pytest.mark.parametrize('path', SUPERNETS, ids=[p.name for p in SUPERNETS])
def test_one_training_iteration(path, workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    cfg = Config.fromfile(str(path))
    cfg.train_dataloader.batch_size = 2
    torch.manual_seed(0)
    model = build_model(cfg).train()
    optim_wrapper = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    batch = first_batch(cfg, 'train_dataloader')
    before = [p.detach().clone() for p in model.architecture.head.parameters()]
    log = model.train_step(batch, optim_wrapper)
    assert torch.isfinite(log['loss'])
    assert all(not torch.equal(old, new) for old, new in zip(before, model.architecture.head.parameters()))
