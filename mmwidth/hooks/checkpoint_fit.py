"""The one loading rule of mmwidth's runners: a checkpoint must fit the model built, and says what it holds."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import find_latest_checkpoint

from ..registry import HOOKS
from ..utils.checkpoint import check_fits, model_record


@HOOKS.register_module()
class CheckpointFitHook(Hook):
    """Checks every checkpoint the runner loads (``load_from``, ``resume``: train, test, Dagger's pretrained
    model) with :func:`mmwidth.utils.checkpoint.check_fits` before MMEngine's lenient load, and records the model,
    its width space's fingerprint and an export's subnet in every checkpoint it saves (``meta['mmwidth']``).
    ``mmwidth.utils.entry_points.build_runner`` adds it to every runner.

    Args:
        partial: the config's ``load_partial``: ``load_from`` is a deliberate partial load (e.g. a supernet's
            weights into Dagger; ImageNet weights into a backbone go through its ``init_cfg``, not checked here):
            keys on one side only are logged, not refused. A resumed run is always checked in full.
    """
    priority = 'VERY_HIGH'  # before any other hook reads the checkpoint (ChannelFairnessHook's counts)

    def __init__(self, partial: bool = False):
        self.partial = partial

    @staticmethod
    def _model(runner):
        return runner.model.module if is_model_wrapper(runner.model) else runner.model

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        resumed = bool(runner.cfg.get('resume'))
        path = runner.cfg.get('load_from') or (find_latest_checkpoint(runner.work_dir) if resumed else None)
        partial = self.partial and not resumed
        missing = check_fits(self._model(runner), checkpoint, path, partial=partial)
        if missing:
            runner.logger.warning(f'load_partial: {path} leaves {len(missing)} keys of the model at their '
                                  f'initialisation (e.g. {missing[:3]})')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})['mmwidth'] = model_record(self._model(runner))
