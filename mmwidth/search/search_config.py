"""What makes a config a search config (a ``train_cfg`` that is a width-search loop), checked before any runner
is built, so that a half-defined search fails in one line instead of retraining the supernet."""
from mmengine.config import Config

from ..registry import TASK_UTILS
from ..utils.config import search_loop_type
from ..utils.errors import ConfigError

# Settings of MMEngine's training loops, which a search loop does not take (inherited from a supernet config
# whose train_cfg the search config did not replace).
TRAINING_LOOP_SETTINGS = ('max_iters', 'max_epochs', 'val_interval', 'val_begin', 'dynamic_intervals')
# Settings only a search loop takes.
SEARCH_SETTINGS = ('budget', 'scorer')
EXAMPLE = "train_cfg = dict(_delete_=True, type='mmwidth.EvolutionSearchLoop', budget=dict(flops='50%'), ...)"


def check_search_config(cfg: Config) -> None:
    """Refuses, naming the problem: the old ``search_cfg`` (no longer read), a search loop mixed with the
    supernet's training settings (``_delete_=True`` missing), search settings under a training loop, and a
    search scored from a supernet without ``load_from``."""
    train_cfg = cfg.get('train_cfg') or {}
    loop = search_loop_type(cfg)
    if cfg.get('search_cfg') is not None:
        raise ConfigError(f'search_cfg is no longer read (it would retrain the supernet): a search config sets '
                          f'the search loop as its train_cfg, {EXAMPLE}')
    if loop is None:
        stray = [key for key in SEARCH_SETTINGS if key in train_cfg]
        if stray:
            raise ConfigError(f'train_cfg has search settings ({", ".join(stray)}) but builds '
                              f'{train_cfg.get("type", "no loop")}, which would train: {EXAMPLE}')
        return
    if cfg.get('resume'):
        raise ConfigError('resume=True would resume the supernet\'s training: a search resumes its own state with '
                          'train_cfg.resume=True (tools/train.py --resume)')
    mixed = [key for key in TRAINING_LOOP_SETTINGS if key in train_cfg]
    if mixed:
        raise ConfigError(f'train_cfg mixes {loop.__name__} with the training settings {", ".join(mixed)} of the '
                          'supernet config: give the search config\'s train_cfg _delete_=True')
    scorer = train_cfg.get('scorer') or {}
    scorer_type = TASK_UTILS.get(scorer.get('type', 'mmwidth.SupernetScorer'))
    if getattr(scorer_type, 'needs_trained_weights', False) and not cfg.get('load_from'):
        raise ConfigError(f'{scorer_type.__name__} scores the subnets of a trained supernet: give it with '
                          '--cfg-options load_from=SUPERNET.pth (tools/search.py: --checkpoint); only oracle '
                          'scorers search without weights')
