"""The digit-pairs supernets of the ground-truth benchmarks (supernet_ranking.py, search_vs_uniform.py): each
method's ``configs/<algo>/<algo>_cbm-resnet-8-16_digit-pairs.py`` trained for a fixed number of forward-backward
passes with a seed, once, and reused by every benchmark that needs it."""
import json
import os
import os.path as osp
import time
from typing import Optional

import torch
from mmengine.hooks import Hook
from mmengine.runner import find_latest_checkpoint

from mmwidth.algorithms.base import algorithm_of
from mmwidth.ground_truth.standalone import Recipe
from mmwidth.utils.config import load_config
from mmwidth.utils.entry_points import build_runner
from mmwidth.utils.errors import WidthSearchError
from mmwidth.utils.files import atomic_write

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
ALGORITHMS = ('autoslim', 'bcnet', 'bcnetv2', 'cafenet')


def config_path(algorithm: str) -> str:
    return osp.join(ROOT, 'configs', algorithm, f'{algorithm}_cbm-resnet-8-16_digit-pairs.py')


def backward_passes_per_step(model_cfg: dict) -> int:
    """Forward-backward passes of one train step of an algorithm (CafeNet's scoring passes have no backward)."""
    kind = model_cfg['type'].split('.')[-1]
    if kind == 'AutoSlim':
        return 2 + model_cfg.get('num_random_samples', 2)
    if kind in ('BCNet', 'BCNetV2'):
        return 2
    if kind == 'CafeNet':
        return 1
    raise WidthSearchError(f'no pass count known for {kind}')


def table_recipe(table_path: str) -> Recipe:
    meta = read_json(osp.splitext(table_path)[0] + '.meta.json')
    if not meta or 'recipe' not in meta:
        raise WidthSearchError(f'{table_path} has no .meta.json with the recipe it was made with')
    return Recipe.from_dict(meta['recipe'])


def check_recipe(cfg, recipe: Recipe, table_path: str) -> None:
    """The supernet config must train the table's space on the table's inputs."""
    backbone = cfg.model.architecture.backbone
    found = dict(max_channels=tuple(backbone.get('max_channels') or ()),
                 input_shape=tuple(cfg.model.width_space.input_shape),
                 image_size=cfg.train_dataloader.dataset.image_size)
    expected = dict(max_channels=recipe.max_channels, input_shape=recipe.input_shape, image_size=recipe.image_size)
    if found != expected:
        raise WidthSearchError(f'{table_path} was made for {expected}; the supernet config has {found}')


def supernet_config(algorithm: str, seed: int, passes: int, work_dir: str, cfg_options: Optional[dict] = None):
    """The algorithm's digit-pairs config (with ``cfg_options``, e.g. a variant of the method), ``passes`` passes
    long, trained with ``seed``."""
    cfg = load_config(config_path(algorithm), cfg_options)
    steps = max(1, passes // backward_passes_per_step(cfg.model))
    warmup = cfg.param_scheduler[0]['end']
    cfg.param_scheduler[1].update(end=max(steps, warmup + 1))
    cfg.train_cfg.update(max_iters=steps, val_interval=steps)  # validated once, at the end
    cfg.default_hooks.checkpoint.update(interval=max(1, steps // 4))
    cfg.randomness = dict(seed=seed, deterministic=False)
    cfg.work_dir = work_dir
    cfg.experiment_name = osp.basename(work_dir)
    cfg.log_level = 'WARNING'
    return cfg


class PassCounter(Hook):
    """Counts the backbone's forward passes inside training iterations: with gradients (each one backward) and
    without (CafeNet's placement scoring); validation and batch-norm recalibration are not counted."""

    def __init__(self):
        self.counts = dict(backward=0, no_grad=0)
        self._training = False

    def before_run(self, runner) -> None:
        algorithm_of(runner, 'supernet_ranking').architecture.backbone.register_forward_hook(self._count)

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self._training = True

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._training = False

    def _count(self, module, args, output) -> None:
        if self._training:
            self.counts['backward' if torch.is_grad_enabled() else 'no_grad'] += 1


def train(cfg, settings: dict) -> tuple:
    """The runner of a trained supernet (trained here, resumed, or loaded) and its training record."""
    trained_path = osp.join(cfg.work_dir, 'trained.json')
    trained = read_json(trained_path)
    if trained and trained['settings'] == settings and osp.isfile(trained['checkpoint']):
        runner = build_runner(cfg)
        runner.load_checkpoint(trained['checkpoint'])
        return runner, trained
    cfg.resume = find_latest_checkpoint(cfg.work_dir) is not None  # an interrupted training continues
    runner = build_runner(cfg)
    counter = PassCounter()
    runner.register_hook(counter)
    start = time.time()
    runner.train()
    steps = cfg.train_cfg.max_iters
    trained = dict(passes=counter.counts['backward'], scoring_forwards=counter.counts['no_grad'],
                   largest_val_top1=float(runner.message_hub.get_scalar('val/accuracy/top1').current()),
                   checkpoint=osp.join(cfg.work_dir, f'iter_{steps}.pth'), seconds=round(time.time() - start),
                   settings=settings)
    write_json(trained_path, trained)
    return runner, trained


def read_json(path: str, default=None):
    if not osp.isfile(path):
        return default
    with open(path) as f:
        return json.load(f)


def write_json(path: str, data) -> None:
    """Written atomically, so an interruption never leaves half a file for a rerun to read."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with atomic_write(path) as f:
        json.dump(data, f, indent=1, sort_keys=True)


def trained_supernet(algorithm: str, seed: int, passes: int, work_root: str, table_path: str,
                     cfg_options: Optional[dict] = None) -> tuple:
    """The runner, config and training record of ``algorithm``'s supernet of the table's space trained with
    ``seed`` for ``passes`` passes (and ``cfg_options``: part of the record, so a variant never reuses another's
    supernet), in ``<work_root>/<algorithm>/seed<seed>/`` (trained there on first use)."""
    work_dir = osp.join(work_root, algorithm, f'seed{seed}')
    cfg = supernet_config(algorithm, seed, passes, work_dir, cfg_options)
    check_recipe(cfg, table_recipe(table_path), table_path)
    settings = dict(passes=passes, seed=seed, config=config_path(algorithm))
    if cfg_options:
        settings['cfg_options'] = cfg_options
    runner, trained = train(cfg, settings)
    return runner, cfg, trained
