"""Library side of tools/search.py: run a search config (its ``train_cfg`` is a width-search loop) with
MMEngine's runner, as ``tools/train.py`` does, and return its result."""
from typing import Optional

from mmengine.config import Config

from ..utils.config import load_config, search_loop_type
from ..utils.distributed import init_cpu_distributed
from ..utils.entry_points import build_runner
from ..utils.errors import ConfigError


def run_search(config, checkpoint: Optional[str] = None, work_dir: Optional[str] = None,
               cfg_options: Optional[dict] = None, resume: bool = False, launcher: str = 'none') -> dict:
    """Runs the search config ``config`` (a path or a Config) on the supernet ``checkpoint`` (its ``load_from``;
    oracle searches need none): ``runner.train()`` of the config's runner.

    Returns the search result (also written to ``<work_dir>/search_result.json``).
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if search_loop_type(cfg) is None:
        raise ConfigError('the config is not a search config: its train_cfg must be a width-search loop, e.g. '
                          "train_cfg = dict(_delete_=True, type='mmwidth.EvolutionSearchLoop', "
                          "budget=dict(flops='50%'))")
    if work_dir is not None:
        cfg.work_dir = work_dir
    if not cfg.get('work_dir'):
        raise ConfigError('a search needs a work_dir for its state and results')
    if checkpoint is not None:
        cfg.load_from = checkpoint
    cfg.train_cfg.resume = resume
    init_cpu_distributed(launcher)
    cfg.launcher = launcher
    runner = build_runner(cfg)
    runner.train()
    return runner.train_loop.result
