"""What the entry points (train, test, search, export) share: common options, the config they run and the
runner."""
import argparse
import os
import os.path as osp

from mmengine.config import Config
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from .config import BUILD_MISTAKES, DictAction, describe_build_mistake, is_build_mistake, load_config
from .distributed import init_cpu_distributed
from .checkpoint import check_checkpoint_file
from .cli import add_debug_flag
from .errors import ConfigError


def parse_with_common_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parses the command line with the options train.py and test.py share added to ``parser``."""
    parser.add_argument('--work-dir', help='where logs and checkpoints go (default: ./work_dirs/<config name>)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs such as train_cfg.max_iters=100 '
                        '(lists as key="[a,b]" or key=a,b; no white space), merged after the other options')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher')
    # torch.distributed.launch passes --local-rank (torch >= 2.0) or --local_rank (older)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_debug_flag(parser)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def check_checkpoint(path: str) -> None:
    """Fails early, in one line, on a missing, truncated or foreign local checkpoint (URLs are left to MMEngine
    to fetch)."""
    if '://' not in path:
        check_checkpoint_file(path)


def setup_config(args: argparse.Namespace) -> Config:
    """The config with the work dir and launcher of the command line (for both tools)."""
    cfg = load_config(args.config)
    init_cpu_distributed(args.launcher)
    cfg.launcher = args.launcher
    # work dir: the command line, else the config's, else one named after the config
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    return cfg


def add_loading_rule(cfg: Config) -> None:
    """Gives the runner of ``cfg`` mmwidth's loading rule, :class:`mmwidth.CheckpointFitHook` (every checkpoint
    loaded must fit the model, unless the config's ``load_partial=True`` makes ``load_from`` a deliberate partial
    load), and checkpoints written atomically (``CheckpointHook`` on the ``mmwidth_atomic`` file backend). A
    missing or truncated ``load_from`` is named before anything is built."""
    if cfg.get('load_from'):
        check_checkpoint(cfg.load_from)
    partial = cfg.get('load_partial', False)
    if not isinstance(partial, bool):
        raise ConfigError(f'load_partial must be True or False, got {partial!r}')
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(str(hook.get('type', '')).endswith('CheckpointFitHook') for hook in hooks):
        cfg.custom_hooks = hooks + [dict(type='mmwidth.CheckpointFitHook', partial=partial)]
    checkpoint_hook = (cfg.get('default_hooks') or {}).get('checkpoint')
    if checkpoint_hook and not checkpoint_hook.get('backend_args') and not checkpoint_hook.get('out_dir'):
        checkpoint_hook.backend_args = dict(backend='mmwidth_atomic')


def build_runner(cfg: Config) -> Runner:
    """The config's ``runner_type`` if it names one, else MMEngine's runner, with :func:`add_loading_rule`; a
    search config is checked first (:func:`mmwidth.search.check_search_config`)."""
    from ..search import check_search_config  # the search package imports these utilities
    check_search_config(cfg)
    add_loading_rule(cfg)
    try:
        return RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    except BUILD_MISTAKES as err:
        if not is_build_mistake(err):
            raise
        raise ConfigError(f'cannot build the runner of this config: {describe_build_mistake(err)}') from err
