"""The end of Dagger's gating phase: the kept channels go to the work directory with a checkpoint."""
import os.path as osp

from mmengine.dist import master_only
from mmengine.hooks import Hook

from ..algorithms.base import algorithm_of
from ..algorithms.dagger import Dagger
from ..registry import HOOKS
from ..space.subnet_file import save_subnet
from ..utils.errors import ConfigError, WidthSearchError
from ..utils.files import atomic_write


@HOOKS.register_module()
class DaggerGatingHook(Hook):
    """When :class:`mmwidth.Dagger` freezes its gates (the hard gates' FLOPs within the tolerance of the
    target), writes ``<work_dir>/<out_file>`` (per group ``{"channels": k, "indices": [...]}``, for
    ``tools/export_subnet.py`` and ``tools/analysis/get_flops.py --subnet``), saves a checkpoint and, with
    ``stop_training``, ends the run there (fine-tune the exported subnet with ``tools/train.py``); otherwise
    the remaining iterations fine-tune the frozen subnet. A run that ends before the gates freeze writes no
    result and fails (``error:`` line, non-zero exit).
    """
    priority = 'LOW'  # after the logger has seen the iteration

    def __init__(self, out_file: str = 'subnet.json', stop_training: bool = True):
        self.out_file = out_file
        self.stop_training = stop_training
        self._written = False

    def _algorithm(self, runner) -> Dagger:
        algorithm = algorithm_of(runner, type(self).__name__)
        if not isinstance(algorithm, Dagger):
            raise ConfigError(f'DaggerGatingHook needs mmwidth.Dagger as the model, got {type(algorithm).__name__}')
        return algorithm

    def before_train(self, runner) -> None:
        self._written = False
        self._algorithm(runner)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        algorithm = self._algorithm(runner)
        if not algorithm.frozen or self._written:
            return
        self._write(runner, algorithm)
        self._written = True
        filename = f'iter_{runner.iter + 1}.pth'
        runner.save_checkpoint(runner.work_dir, filename, backend_args=dict(backend='mmwidth_atomic'))
        self._point_last_checkpoint(runner, filename)
        runner.logger.info(f'Dagger: gates frozen at iteration {runner.iter + 1}, {algorithm.kept_flops() / 1e6:.2f}M '
                           f'FLOPs; wrote {self.out_file} and {filename} to {runner.work_dir}')
        if self.stop_training:
            runner.train_loop.stop_training = True

    def after_train(self, runner) -> None:
        if not self._algorithm(runner).frozen:  # a run without its result fails (the checkpoints can resume)
            raise WidthSearchError(f'Dagger: training ended at iteration {runner.iter} before the hard gates reached '
                                   f'the FLOPs target; no {self.out_file} written (train longer, resume with a '
                                   'larger train_cfg.max_iters, or raise flops_weight)')

    @master_only
    def _write(self, runner, algorithm: Dagger) -> None:
        save_subnet(osp.join(runner.work_dir, self.out_file), algorithm.subnet_entries())

    @master_only
    def _point_last_checkpoint(self, runner, filename: str) -> None:
        with atomic_write(osp.join(runner.work_dir, 'last_checkpoint')) as f:
            f.write(osp.join(runner.work_dir, filename))
