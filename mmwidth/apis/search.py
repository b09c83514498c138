"""Library side of tools/search.py: run a config's width search and return its result."""
import copy
from typing import Optional

from mmengine.config import Config
from mmengine.model import is_model_wrapper

from ..registry import LOOPS, TASK_UTILS
from ..search import WidthSearchLoop
from ..utils.config import load_config
from ..utils.distributed import init_cpu_distributed
from ..utils.checkpoint import load_checkpoint_file, load_weights_strictly
from ..utils.entry_points import build_runner
from ..utils.errors import ConfigError

# Scorer settings that may name a top-level entry of the config (e.g. dataloader='search_dataloader').
SCORER_REFERENCES = ('dataloader', 'evaluator', 'calibration_dataloader')
# A search neither trains nor validates: the runner is built without those parts of the supernet config.
TRAINING_KEYS = ('train_cfg', 'train_dataloader', 'optim_wrapper', 'param_scheduler', 'val_cfg', 'val_dataloader',
                 'val_evaluator', 'test_cfg', 'test_dataloader', 'test_evaluator')


def resolve_scorer_references(cfg: Config) -> None:
    """Replaces scorer settings given as names of config entries (``dataloader='search_dataloader'``) by the
    entries themselves, so that shared search configs need not know the dataset."""
    scorer = (cfg.get('search_cfg') or {}).get('scorer') or {}
    for key in SCORER_REFERENCES:
        name = scorer.get(key)
        if isinstance(name, str):
            if cfg.get(name) is None:
                raise ConfigError(f'search_cfg.scorer.{key}="{name}" names no entry of the config')
            scorer[key] = copy.deepcopy(cfg[name])


def run_search(config, checkpoint: Optional[str] = None, work_dir: Optional[str] = None,
               cfg_options: Optional[dict] = None, resume: bool = False, launcher: str = 'none') -> dict:
    """Runs the ``search_cfg`` loop of a config on the supernet ``checkpoint`` (oracle searches need none).

    Returns the search result (also written to ``<work_dir>/search_result.json``).
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if not cfg.get('search_cfg'):
        raise ConfigError('the config has no search_cfg, e.g. search_cfg = dict(type="mmwidth.EvolutionSearchLoop",'
                          ' budget=dict(flops="50%"), scorer=dict(...))')
    if work_dir is not None:
        cfg.work_dir = work_dir
    if not cfg.get('work_dir'):
        raise ConfigError('a search needs a work_dir for its state and results')
    checkpoint = checkpoint or cfg.get('load_from')
    scorer = TASK_UTILS.get((cfg.search_cfg.get('scorer') or {}).get('type', ''))
    if checkpoint is None and getattr(scorer, 'needs_trained_weights', False):
        raise ConfigError(f'{scorer.__name__} scores the subnets of a trained supernet: pass --checkpoint '
                          'SUPERNET.pth (or load_from=...); only oracle scorers search without weights')
    # read before anything is built or written, loaded strictly once the model exists (not MMEngine's lenient load)
    weights = load_checkpoint_file(checkpoint) if checkpoint else None
    resolve_scorer_references(cfg)
    init_cpu_distributed(launcher)
    cfg.launcher = launcher
    cfg.load_from, cfg.resume = None, False
    for key in TRAINING_KEYS:
        cfg[key] = None
    runner = build_runner(cfg)
    if weights is not None:
        load_weights_strictly(runner.model.module if is_model_wrapper(runner.model) else runner.model, checkpoint,
                              weights)
    loop = LOOPS.build(dict(cfg.search_cfg, resume=resume), default_args=dict(runner=runner))
    if not isinstance(loop, WidthSearchLoop):
        raise ConfigError(f'search_cfg builds a {type(loop).__name__}, not a width-search loop')
    runner.call_hook('before_run')
    loop.run()
    runner.call_hook('after_run')
    return loop.result
