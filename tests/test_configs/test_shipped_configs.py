"""Every shipped config (``configs/**/*.py`` outside ``_base_``) builds: its model and width space, its optimizer,
schedulers and hooks, and each of its data loaders on a tiny fake copy of its dataset, whose first batch goes
through the pipeline, the data preprocessor and the model's validation step (each part that the config has:
search configs, for one, have no optimizer).

The fake datasets lie in the layouts the configs expect under ``data/`` of a temporary working directory:
ImageNet as mmpretrain's ``ImageNet`` reads it (``train/`` and ``val/`` image folders with ``meta/train.txt`` and
``meta/val.txt``), CIFAR-10 as the pickled batches of ``cifar-10-batches-py``, CelebA as its official release
(``img_align_celeba/`` with the 40-attribute and partition lists); the digit mosaics generate themselves there.
mmpretrain's ``CIFAR10`` accepts these only when their md5 sums match the official release (and downloads it
otherwise), so the tests replace that one comparison, and forbid the download; everything else (the files the
dataset looks for, their format, the pipeline) runs as in training.
"""
import copy
import pickle
from pathlib import Path
from typing import Optional, Tuple

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import HOOKS, PARAM_SCHEDULERS
from mmengine.runner import Runner
from mmpretrain.datasets import CIFAR10, cifar
from PIL import Image

from mmwidth.ground_truth.cbm_table import arch_to_subnet
from mmwidth.latency import build_runtime
from mmwidth.latency.table import LatencyTable
from mmwidth.space.width_space import WidthSpace
from mmwidth.search import Budget
from mmwidth.supernet.subject import SearchSubject
from mmwidth.utils.config import build_model, config_entry, infer_input_shape, search_loop_type

CONFIG_ROOT = Path(__file__).resolve().parents[2] / 'configs'
# (the COCO detection configs build at a small input size on a fake COCO in tests/test_detection)
CONFIGS = sorted(path for path in CONFIG_ROOT.rglob('*.py')
                 if '_base_' not in path.relative_to(CONFIG_ROOT).parts and not path.name.endswith('_coco.py'))
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader', 'search_dataloader')
REQUIRED_HOOKS = ('ChannelFairnessHook', 'SubnetNormRecalibrationHook')
# Dagger trains one gated network, not a supernet: its result comes from its own hook
ALGORITHM_HOOKS = dict(Dagger=('DaggerGatingHook', ))

# Searchable groups of each supernet backbone (a new backbone needs its count here).
GROUPS = {
    'ResNet-50': 37,  # 16 bottleneck middle widths x 2, 4 tied stage widths, the stem
    'MobileNetV2': 25,  # stem, stage-1 output, 16 expansion widths, 6 tied stage outputs, last conv
    'ResNet-18': 12,  # mmdet's, in the digits detectors: 8 block widths, 4 tied stage widths (with the stem)
    'CBMResNet': 7,
    'CBMMobileNet': 7,
    'VisionTransformer': 9,  # the embedding width, 4 attention inner widths, 4 MLP hidden widths
}
CBM_SPACES = dict(CBMResNet='resnet', CBMMobileNet='mobilenet')

IMAGENET_CLASSES = ('n01440764', 'n01443537')
IMAGES_PER_CLASS = 2
CIFAR_IMAGES_PER_BATCH = 4
CELEBA_ATTRIBUTES = 40
CELEBA_IMAGES_PER_SPLIT = 2


def short_type(cfg: dict) -> str:
    return cfg['type'].split('.')[-1]


def backbone_key(architecture: dict) -> str:
    backbone = architecture['backbone']
    depth = backbone.get('depth')
    return short_type(backbone) + (f'-{depth}' if depth else '')


# ------------------------------------------------------------------------------------------------- fake data
def write_imagenet(root: Path, rng: np.random.Generator) -> None:
    (root / 'meta').mkdir(parents=True)
    for split in ('train', 'val'):
        lines = []
        for label, name in enumerate(IMAGENET_CLASSES):
            (root / split / name).mkdir(parents=True)
            for number in range(IMAGES_PER_CLASS):
                # small and not square, so that resizing and cropping do real work
                pixels = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(root / split / name / f'{number}.JPEG')
                lines.append(f'{name}/{number}.JPEG {label}')
        (root / 'meta' / f'{split}.txt').write_text('\n'.join(lines) + '\n')


def write_cifar10(root: Path, rng: np.random.Generator) -> None:
    folder = root / CIFAR10.base_folder
    folder.mkdir(parents=True)
    for name, _ in CIFAR10.train_list + CIFAR10.test_list:
        batch = dict(
            data=rng.integers(0, 256, (CIFAR_IMAGES_PER_BATCH, 3 * 32 * 32), dtype=np.uint8),
            labels=[int(label) for label in rng.integers(0, 10, CIFAR_IMAGES_PER_BATCH)])
        (folder / name).write_bytes(pickle.dumps(batch))


def write_celeba(root: Path, rng: np.random.Generator) -> None:
    """Two aligned 178x218 faces per official partition, with random attributes."""
    (root / 'img_align_celeba').mkdir(parents=True)
    names = [f'Attribute_{i}' for i in range(CELEBA_ATTRIBUTES)]
    attributes, partition = [str(3 * CELEBA_IMAGES_PER_SPLIT), ' '.join(names)], []
    for number in range(3 * CELEBA_IMAGES_PER_SPLIT):
        name = f'{number + 1:06d}.jpg'
        Image.fromarray(rng.integers(0, 256, (218, 178, 3), dtype=np.uint8)).save(root / 'img_align_celeba' / name)
        attributes.append(name + ' ' + ' '.join(str(v) for v in rng.choice([-1, 1], CELEBA_ATTRIBUTES)))
        partition.append(f'{name} {number // CELEBA_IMAGES_PER_SPLIT}')
    (root / 'list_attr_celeba.txt').write_text('\n'.join(attributes) + '\n')
    (root / 'list_eval_partition.txt').write_text('\n'.join(partition) + '\n')


@pytest.fixture(scope='module')
def data_dir(tmp_path_factory) -> Path:
    """A working directory with ``data/imagenet``, ``data/cifar10`` and ``data/celeba`` (the digits dataset is
    embedded)."""
    workdir = tmp_path_factory.mktemp('workdir')
    rng = np.random.default_rng(0)
    write_imagenet(workdir / 'data' / 'imagenet', rng)
    write_cifar10(workdir / 'data' / 'cifar10', rng)
    write_celeba(workdir / 'data' / 'celeba', rng)
    return workdir


@pytest.fixture
def in_data_dir(data_dir, monkeypatch) -> Path:
    def no_download(*args, **kwargs):
        raise AssertionError('a dataset tried to download during the test')

    monkeypatch.chdir(data_dir)
    # the fake CIFAR-10 files cannot have the official md5 sums (see the module docstring)
    monkeypatch.setattr(cifar, 'check_md5', lambda path, md5: True)
    monkeypatch.setattr(cifar, 'download_and_extract_archive', no_download)
    return data_dir


# ---------------------------------------------------------------------------------------------------- checks
def searched_space(cfg: Config, model) -> Optional[Tuple[WidthSpace, dict, dict]]:
    """The width space a config defines, with its options and the architecture it traces: an algorithm's, or
    the one a search config builds from its plain model (a top-level ``width_space``); None for other configs."""
    if hasattr(model, 'space'):
        return model.space, cfg.model.width_space, cfg.model.architecture
    if cfg.get('width_space'):
        return WidthSpace.from_config(model, cfg.width_space), cfg.width_space, cfg.model
    return None


def check_space(cfg: Config, model) -> None:
    """The traced space is the one the config describes: its groups, width grid and (BCNetV2) widening."""
    searched = searched_space(cfg, model)
    if searched is None:
        return
    space, options, architecture = searched
    key = backbone_key(architecture)
    assert key in GROUPS, f'add the number of searchable groups of the {key} supernet to GROUPS'
    assert len(space.names) == GROUPS[key]
    assert all(len(choices) > 1 for choices in space.choices.values())

    if short_type(cfg.model) == 'BCNetV2':
        # every group widened by m bins beyond the base network's N bins, whose widths are searched in [m, N] bins:
        # the largest width of every group is the base network's
        bins, extra = options['bins'], cfg.model.min_bins
        plain = build_model(Config(dict(default_scope=cfg.default_scope, model=architecture)))
        base = WidthSpace.from_config(plain, options)
        assert space.names == base.names
        for name in space.names:
            assert space.edges[name][:bins] == base.edges[name]
            assert space.channels(name) == base.channels(name) + base.edges[name][extra - 1]
            assert space.choices[name] == sorted(set(base.edges[name][extra - 1:]))
        assert space.largest() == base.full()
    elif options.get('ratios') is not None:
        divisor = options.get('divisor', 1)
        for name, choices in space.choices.items():
            assert len(choices) <= len(options['ratios'])
            assert all(width % divisor == 0 or width == space.channels(name) for width in choices)
            assert choices[-1] == space.channels(name)
    elif options.get('flops_bins') is not None:
        low, high = options['flops_bins']['min_bin'], options['flops_bins']['max_bin']
        for name, edges in space.edges.items():
            sizes = np.diff([0] + edges)[:-1]  # the last bin may be ragged
            assert all(low <= size <= high and size & (size - 1) == 0 for size in sizes), (name, edges)
    else:  # `bins` widths a group (without it, every channel is a bin); a group narrower than that has a width per
        # channel
        for name, choices in space.choices.items():
            channels = space.channels(name)
            assert len(choices) == min(options.get('bins') or channels, channels)
            assert choices[-1] == channels

    if key in CBM_SPACES:
        # the benchmark's architectures are subnets: width d of the 4 (every 4th of CafeNet's 16) is arch digit d
        # (of the benchmark's channels, or of the scaled-down maxima the backbone is given)
        max_channels = architecture['backbone'].get('max_channels')
        for digit in '1234':
            subnet = arch_to_subnet(CBM_SPACES[key], digit * 7, max_channels)
            assert {name: choices[len(choices) // 4 * int(digit) - 1]
                    for name, choices in space.choices.items()} == subnet


def check_training_parts(cfg: Config, model) -> None:
    """The optimizer, the learning-rate schedulers and the hooks build; a training config has the width-search
    hooks."""
    if cfg.get('optim_wrapper'):
        optim_wrapper = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
        for scheduler in copy.deepcopy(cfg.get('param_scheduler') or []):
            kind = PARAM_SCHEDULERS.get(scheduler.pop('type'))
            if scheduler.pop('convert_to_iter_based', False):
                kind.build_iter_from_epoch(optim_wrapper, epoch_length=10, **scheduler)
            else:
                kind(optim_wrapper, **scheduler)
    hooks = {type(HOOKS.build(copy.deepcopy(hook))).__name__ for hook in cfg.get('custom_hooks') or []}
    if cfg.get('train_dataloader') and search_loop_type(cfg) is None:  # a training
        assert set(ALGORITHM_HOOKS.get(short_type(cfg.model), REQUIRED_HOOKS)) <= hooks


def check_search(cfg: Config, model) -> None:
    """A search config's train_cfg is a width-search loop with a budget some subnet meets and data its scorer
    can use."""
    if search_loop_type(cfg) is None:
        return
    search = cfg.train_cfg
    subject = SearchSubject.from_model(model, cfg)
    space = subject.space
    budget = dict(search.budget)
    table = budget.get('latency_table')
    if isinstance(table, dict) and 'runtime' in table:  # measured on first use: here a coarse table of it
        runtime = build_runtime(table['runtime'], table.get('threads'))
        budget['latency_table'] = LatencyTable.build(subject.architecture, space, runtime, batch=table.get('batch', 1),
                                                     grid=2, anchors=2, probe_divisor=False)
    targets = [limit for limit in budget.values() if isinstance(limit, list)]  # greedy slimming's targets
    for target in targets[0] if targets else [None]:
        Budget(space, **{name: target if isinstance(limit, list) else limit for name, limit in budget.items()})
    scorer = search.get('scorer') or {}
    if scorer.get('type') == 'mmwidth.ChannelBenchMacroOracle':  # scores from its table, no data
        return
    for key, default in (('dataloader', 'search_dataloader'), ('calibration_dataloader', 'train_dataloader')):
        loader = config_entry(cfg, scorer.get(key, default), key)
        assert isinstance(loader, dict) and 'dataset' in loader, key


def first_batch(cfg: Config, loader: str) -> dict:
    """The first batch of a data loader built the runner's way, without worker processes."""
    loader_cfg = copy.deepcopy(cfg[loader])
    loader_cfg.update(num_workers=0, persistent_workers=False)
    return next(iter(Runner.build_dataloader(loader_cfg, seed=0)))


# ----------------------------------------------------------------------------------------------------- tests
@pytest.mark.parametrize('path', CONFIGS, ids=[str(p.relative_to(CONFIG_ROOT)) for p in CONFIGS])
def test_shipped_config(path, in_data_dir):
    cfg = Config.fromfile(str(path))
    model = build_model(cfg)  # with the config's data preprocessor, as the runner builds it
    check_space(cfg, model)
    check_training_parts(cfg, model)
    check_search(cfg, model)

    loaders = [loader for loader in LOADERS if cfg.get(loader)]
    input_size = infer_input_shape(cfg)[1:]
    for loader in loaders:
        batch = first_batch(cfg, loader)
        assert all(tuple(image.shape[-2:]) == input_size for image in batch['inputs']), loader
    if loaders:
        # the last batch through the data preprocessor and the model (an algorithm's evaluated subnet)
        model.eval()
        predictions = model.val_step(batch)
        assert len(predictions) == len(batch['inputs'])
