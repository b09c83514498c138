"""Meaningful validation of a supernet: its evaluated subnet gets its own batch-norm statistics first."""
from typing import List, Optional

from mmengine.hooks import Hook

from ..algorithms.base import algorithm_of
from ..registry import HOOKS
from ..supernet.calibration import Calibration, recalibrate


@HOOKS.register_module()
class SubnetNormRecalibrationHook(Hook):
    """Before validation and testing, re-estimates the batch-norm statistics of the algorithm's evaluated subnet
    on ``num_batches`` training batches; without it the running statistics, mixed over all sampled subnets,
    fit none of them and the logged accuracy says nothing.

    The batches are drawn once, seeded by the runner's seed (:class:`mmwidth.supernet.calibration.Calibration`,
    as a search and an export draw theirs), so that every validation of a run, resumed or not, recalibrates on
    the same images and the training's own data stream and randomness are left alone.

    Args:
        num_batches: how many training batches the statistics are estimated on.
    """
    priority = 'HIGH'

    def __init__(self, num_batches: int = Calibration.num_batches):
        self.num_batches = num_batches
        self._batches: Optional[List[dict]] = None

    def recalibrate(self, runner) -> None:
        algorithm = algorithm_of(runner, type(self).__name__)
        if self._batches is None:
            self._batches = Calibration(runner.cfg.train_dataloader, self.num_batches, runner.seed).draw()
        with algorithm.supernet.subnet(algorithm.index_sets(algorithm.eval_widths())):
            recalibrate(algorithm, self._batches)

    def before_val(self, runner) -> None:
        self.recalibrate(runner)

    def before_test(self, runner) -> None:
        self.recalibrate(runner)
