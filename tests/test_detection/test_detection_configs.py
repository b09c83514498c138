"""Every COCO detection config (RetinaNet, FCOS and Faster R-CNN R-50 FPN supernets of each algorithm, and their
searches) builds and trains one iteration on a tiny fake COCO in the standard ``data/coco`` layout, read by mmdet's
own ``CocoDataset`` through the configs' own pipelines, at a small input size and without pretrained weights (the
only changes to the configs). Its search config has a backbone budget some subnet meets and a search loader over
the held-out part of train2017, whose batch scores through the supernet."""
import copy
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner
from PIL import Image

from mmwidth.search import Budget
from mmwidth.utils.config import build_model

CONFIG_ROOT = Path(__file__).resolve().parents[2] / 'configs'
ALGORITHMS = ('bcnet', 'bcnetv2', 'cafenet', 'autoslim')
DETECTORS = ('retinanet_r50_fpn', 'fcos_r50-caffe_fpn_gn-head', 'faster-rcnn_r50_fpn')
SUPERNETS = [CONFIG_ROOT / a / f'{a}_{d}_supernet_1x_coco.py' for a in ALGORITHMS for d in DETECTORS]
DAGGER = sorted((CONFIG_ROOT / 'dagger').glob('*_coco.py'))
SMALL = (96, 64)  # (w, h) instead of COCO's (1333, 800)
IMAGES = dict(train2017=6, val2017=2)
HOLDOUT = 2  # instead of 5000 held-out training images
# COCO's first categories (CocoDataset keeps the images whose boxes it knows by name)
CATEGORIES = [dict(id=1, name='person'), dict(id=2, name='bicycle'), dict(id=3, name='car')]


def test_every_detection_config_is_tested():
    shipped = sorted(CONFIG_ROOT.glob('*/*_coco.py'))
    assert shipped == sorted(SUPERNETS + DAGGER + [search_config(s) for s in SUPERNETS])
    for supernet in SUPERNETS:
        assert search_config(supernet).is_file()


def search_config(supernet: Path) -> Path:
    return supernet.with_name(supernet.name.replace('_supernet_1x_coco', '_search_backbone50pct_coco'))


@pytest.fixture(scope='module')
def coco_dir(tmp_path_factory) -> Path:
    """A working directory with ``data/coco``: train2017/val2017 images and their instance annotations."""
    workdir = tmp_path_factory.mktemp('coco_workdir')
    root = workdir / 'data' / 'coco'
    (root / 'annotations').mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split, count in IMAGES.items():
        (root / split).mkdir()
        images, annotations = [], []
        for image_id in range(1, count + 1):
            name = f'{image_id:012d}.jpg'
            Image.fromarray(rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)).save(root / split / name)
            images.append(dict(id=image_id, file_name=name, width=160, height=120))
            for k in range(2):  # boxes above mmdet's min_size=32 filter
                x, y = int(rng.integers(0, 80)), int(rng.integers(0, 50))
                annotations.append(dict(id=len(annotations) + 1, image_id=image_id, category_id=k + 1, iscrowd=0,
                                        bbox=[x, y, 60, 50], area=3000))
        (root / 'annotations' / f'instances_{split}.json').write_text(
            json.dumps(dict(images=images, annotations=annotations, categories=CATEGORIES)))
    return workdir


def small(cfg: Config) -> Config:
    """The config at a small input size, without pretrained weights, over the tiny held-out split."""
    cfg.model.width_space.input_shape = (3, SMALL[1], SMALL[0])
    cfg.model.architecture.backbone.init_cfg = None
    for loader in ('train_dataloader', 'search_dataloader', 'val_dataloader'):
        dataset = cfg[loader].dataset
        if dataset.type == 'mmwidth.HeldOutSplit':
            dataset.holdout = HOLDOUT
            dataset = dataset.dataset
        for transform in dataset.pipeline:
            if transform.type == 'Resize':
                transform.scale = SMALL
        cfg[loader].update(num_workers=0, persistent_workers=False)
    return cfg


def first_batch(loader_cfg: dict) -> dict:
    return next(iter(Runner.build_dataloader(copy.deepcopy(loader_cfg), seed=0)))


@pytest.mark.parametrize('supernet', SUPERNETS, ids=[p.stem for p in SUPERNETS])
def test_detection_config_trains_and_searches(supernet, coco_dir, monkeypatch):
    monkeypatch.chdir(coco_dir)
    torch.manual_seed(0)
    cfg = small(Config.fromfile(str(supernet)))
    model = build_model(cfg)
    space = model.space
    assert space.names and all(name.startswith('backbone.layer') for name in space.names)
    # the frozen stem and first stage (frozen_stages=1) keep their widths
    assert not any(name.startswith('backbone.layer1.') for name in space.names)

    optim_wrapper = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    batch = first_batch(cfg.train_dataloader)
    assert all(image.shape[-2] <= SMALL[1] and image.shape[-1] <= SMALL[0] for image in batch['inputs'])
    trained = {name: p.detach().clone() for name, p in model.named_parameters() if p.requires_grad}
    model.train()
    log = model.train_step(batch, optim_wrapper)
    assert all(torch.isfinite(value).all() for value in log.values())
    assert any(not torch.equal(p, trained[name]) for name, p in model.named_parameters() if name in trained)

    search = small(Config.fromfile(str(search_config(supernet))))
    assert search.train_cfg.scorer.metric == 'coco/bbox_mAP'
    budget = Budget(space, **search.train_cfg.budget)
    assert budget.scope == 'backbone' and budget.admits(space.smallest(), window=False)
    assert not budget.admits(space.largest(), window=False)
    # the search scores on train2017's held-out images, never on val2017
    assert 'dataloader' not in search.train_cfg.scorer  # SupernetScorer's default: the search_dataloader
    held_out = search.search_dataloader.dataset
    assert held_out.part == 'holdout' and 'train2017' in held_out.dataset.ann_file
    model.eval()
    batch = first_batch(search.search_dataloader)
    predictions = model.val_step(batch)
    assert len(predictions) == len(batch['inputs']) and 'instances' in predictions[0].metainfo


@pytest.mark.parametrize('config', DAGGER, ids=[p.stem for p in DAGGER])
def test_dagger_detection_config_gates_the_backbone(config, coco_dir, monkeypatch):
    """One gating iteration through the config's own pipeline: the FLOPs term counts the backbone only, and the
    step trains the Dagger module (some gates close: fewer FLOPs than the full backbone's 1 / flops_target)."""
    monkeypatch.chdir(coco_dir)
    torch.manual_seed(0)
    cfg = small(Config.fromfile(str(config)))
    cfg.model.architecture.init_cfg = None
    model = build_model(cfg).train()
    optim_wrapper = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    before = model.dagger_module.group_logit.detach().clone()
    log = model.train_step(first_batch(cfg.train_dataloader), optim_wrapper)
    assert all(torch.isfinite(value).all() for value in log.values())
    assert float(log['loss_flops']) > 0 and 1 < float(log['flops_to_target']) < 1 / cfg.model.flops_target
    assert model.estimator.flops(model.space.full()) < model.space.flops(model.space.full())
    assert not torch.equal(before, model.dagger_module.group_logit)
