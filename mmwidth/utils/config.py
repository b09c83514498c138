"""Configs: loading with clear errors, building models in their default scope, and the task's input size."""
import argparse
import copy
import os.path as osp
import traceback
from typing import Optional, Sequence, Tuple, Union

from mmengine.config import Config
from mmengine.config import DictAction as MMEngineDictAction
from mmengine.registry import MODELS, DefaultScope, init_default_scope
from torch import nn

from ..registry import LOOPS
from .errors import ConfigError

# What executing or parsing a config file raises for a mistake in it (syntax, an unknown name or _base_ file, a
# failing custom import, a bad key or value); anything else is left to propagate with its traceback.
CONFIG_FILE_ERRORS = (SyntaxError, NameError, ImportError, OSError, KeyError, ValueError, TypeError,
                      AttributeError)
# Mistakes in a config's values found while building from it (an unknown type in a registry, a missing "type",
# inconsistent runner parts, arguments or values a constructor refuses): see is_build_mistake; errors raised
# deeper (inside the code a constructor runs, e.g. a model's tracing) are bugs and keep their traceback.
BUILD_MISTAKES = (KeyError, TypeError, ValueError)
BUILD_MODULES = ('mmengine/registry/', 'mmengine/runner/runner.py')

# Transforms that decide the network input size, with the key holding that size (mmpose's affine crops too).
SIZE_TRANSFORMS = (('CenterCrop', 'crop_size'), ('RandomCrop', 'crop_size'), ('RandomResizedCrop', 'scale'),
                   ('Resize', 'scale'), ('ResizeEdge', 'scale'), ('RandomResize', 'scale'),
                   ('TopdownAffine', 'input_size'))


class DictAction(MMEngineDictAction):
    """MMEngine's ``--cfg-options`` action, refusing an item without ``=`` in the usual one line of argparse
    rather than with a traceback."""

    def __call__(self, parser, namespace, values, option_string=None):
        for item in values:
            if '=' not in item:
                raise argparse.ArgumentError(self, f'{item!r} is not key=value (e.g. train_cfg.max_iters=100)')
        super().__call__(parser, namespace, values, option_string)


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Reads a config file, failing with one line that names the file when it is missing or broken."""
    if not osp.isfile(path):
        raise ConfigError(f'config file not found: {path}')
    try:
        cfg = Config.fromfile(path)
    except CONFIG_FILE_ERRORS as err:
        raise ConfigError(f'cannot read config {path}: {type(err).__name__}: {err}') from err
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if 'model' not in cfg:
        raise ConfigError(f'config {path} has no "model"')
    return cfg


def enter_default_scope(cfg: Config) -> str:
    """Makes the config's ``default_scope`` current (``mmwidth`` when it names none)."""
    scope = cfg.get('default_scope') or 'mmwidth'
    current = DefaultScope.get_current_instance()
    if current is None or current.scope_name != scope:
        init_default_scope(scope)
    return scope


def build_model(cfg: Config) -> nn.Module:
    """Builds ``cfg.model`` in the config's default scope, with the config's top-level ``data_preprocessor``
    when the model names none (as MMEngine's runner does: mmpretrain configs keep it there)."""
    enter_default_scope(cfg)
    model_cfg = copy.deepcopy(cfg.model)
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', copy.deepcopy(cfg.data_preprocessor))
    try:
        return MODELS.build(model_cfg)
    except BUILD_MISTAKES as err:
        if not is_build_mistake(err):
            raise
        raise ConfigError(f'cannot build the model of this config: {describe_build_mistake(err)}'
                          f'{_scope_hint(cfg, err)}') from err


def _scope_hint(cfg: Config, err: BaseException) -> str:
    """What a config without ``default_scope`` whose type mmwidth's registry lacks probably misses."""
    if cfg.get('default_scope') or not isinstance(err, KeyError) or ' is not in the mmwidth::' not in str(err):
        return ''
    return (' (a model of another OpenMMLab codebase needs that codebase\'s default_scope, e.g. '
            'default_scope = "mmseg", or scoped type names such as "mmseg.EncoderDecoder")')


def is_build_mistake(err: BaseException) -> bool:
    """Whether a config value or key was rejected, rather than built code failing: MMEngine's building machinery
    raised it (see ``BUILD_MODULES``: an unknown type, a missing ``type``), or the constructor a registry called
    did, itself or through its ``super().__init__`` chain (an argument it does not take or lacks, a value it
    refuses, e.g. ``IterBasedTrainLoop``'s ``int(max_iters)``), not code it ran."""
    frames = traceback.extract_tb(err.__traceback__)
    if not isinstance(err, BUILD_MISTAKES) or not frames:
        return False
    return any(module in frames[-1].filename.replace('\\', '/') for module in BUILD_MODULES) or \
        rejecting_constructor(err) is not None


def rejecting_constructor(err: BaseException) -> Optional[str]:
    """The class whose constructor, called by a registry (``build_from_cfg``), raised ``err`` itself or through
    its ``super().__init__`` chain; None when it came from elsewhere (deeper code, no registry)."""
    frames, tb = [], err.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    builds = [i for i, frame in enumerate(frames) if frame.f_code.co_name == 'build_from_cfg']
    if not builds or builds[-1] == len(frames) - 1:
        return None
    constructors = frames[builds[-1] + 1:]
    if any(frame.f_code.co_name != '__init__' for frame in constructors):
        return None
    return type(constructors[0].f_locals.get('self')).__name__


def describe_build_mistake(err: BaseException) -> str:
    """``<the rejecting class>: <error type>: <message>``, e.g. ``IterBasedTrainLoop: ValueError: invalid literal
    for int() with base 10: 'abc'``."""
    rejecting = rejecting_constructor(err)
    return f'{rejecting + ": " if rejecting else ""}{type(err).__name__}: {err}'


def _pipelines(cfg: Config):
    for loader in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset') or {}
        while isinstance(dataset, dict) and 'dataset' in dataset and 'pipeline' not in dataset:
            dataset = dataset['dataset']  # dataset wrappers (RepeatDataset, ClassBalancedDataset, ...)
        if isinstance(dataset, dict) and dataset.get('pipeline'):
            yield dataset['pipeline']
    for name in ('test_pipeline', 'val_pipeline', 'train_pipeline'):
        if cfg.get(name):
            yield cfg[name]


def _size_of(pipeline: Sequence[dict]) -> Optional[Tuple[int, int]]:
    """(height, width) set by the last resizing or cropping transform of a pipeline."""
    for transform in reversed(pipeline):
        kind = str(transform.get('type', '')).split('.')[-1]
        for name, key in SIZE_TRANSFORMS:
            if kind == name and transform.get(key) is not None:
                size = transform[key]
                if isinstance(size, (int, float)):
                    return int(size), int(size)
                width, height = size[:2]  # OpenMMLab sizes are (w, h)
                return int(height), int(width)
    return None


def _codec_size(model_cfg: dict) -> Optional[Tuple[int, int]]:
    """(height, width) of the input an mmpose model's head decodes its keypoints against: the ``input_size``
    (w, h) of its codec (``head.decoder``), which the model is built for whatever pipeline feeds it."""
    head = model_cfg.get('head')
    codec = head.get('decoder') if isinstance(head, dict) else None
    size = codec.get('input_size') if isinstance(codec, dict) else None
    return None if size is None else (int(size[1]), int(size[0]))


def infer_input_shape(cfg: Config) -> Tuple[int, int, int]:
    """(C, H, W) of the task: the width space's ``input_shape`` if given, else the size of the model's codec
    (mmpose), else the data pipeline's size."""
    for holder in (cfg.model.get('width_space') or {}, cfg.get('width_space') or {}):
        if holder.get('input_shape'):
            return tuple(holder['input_shape'])
    sizes = [_codec_size(cfg.model)] + [_size_of(pipeline) for pipeline in _pipelines(cfg)]
    size = next((size for size in sizes if size is not None), None)
    return (3, 224, 224) if size is None else (3, ) + size


def parse_input_shape(values: Union[None, Sequence[int]]) -> Optional[Tuple[int, int, int]]:
    """``--input-shape``: C H W (or H W, or one size for a square RGB input)."""
    if not values:
        return None
    values = [int(v) for v in values]
    if any(v < 1 for v in values) or len(values) > 3:
        raise ConfigError(f'--input-shape takes C H W (or H W, or one size) of positive integers, got {values}')
    if len(values) == 1:
        return (3, values[0], values[0])
    return tuple(values) if len(values) == 3 else (3, values[0], values[1])


def config_entry(cfg: Config, value: Union[str, dict], option: str) -> dict:
    """``value`` itself, or when it is a string the top-level entry of ``cfg`` it names (e.g. a scorer's
    ``dataloader='search_dataloader'``), so that shared settings need not know the dataset; ``option`` names the
    setting in the error."""
    if not isinstance(value, str):
        return value
    if cfg.get(value) is None:
        raise ConfigError(f'{option}="{value}" names no entry of the config')
    return copy.deepcopy(cfg[value])


def search_loop_type(cfg: Config) -> Optional[type]:
    """The width-search loop class ``cfg.train_cfg`` builds (None: not a search config, e.g. a training)."""

    loop_type = (cfg.get('train_cfg') or {}).get('type')
    loop = LOOPS.get(loop_type) if isinstance(loop_type, str) else loop_type
    return loop if getattr(loop, 'is_width_search', False) else None


def base_training_cfg(path: str) -> Optional[dict]:
    """The ``train_cfg`` of the first config among the ``_base_`` files of config ``path`` (and theirs) that
    trains: for a search config, its supernet's training (what an exported subnet is fine-tuned with)."""
    for base in Config._get_base_files(path):
        base_path = osp.join(osp.dirname(path), base)
        if not osp.isfile(base_path):  # e.g. an mmdet:: base
            continue
        base_cfg = Config.fromfile(base_path)
        if base_cfg.get('train_cfg') and search_loop_type(base_cfg) is None:
            return base_cfg.train_cfg
        found = base_training_cfg(base_path)
        if found is not None:
            return found
    return None
