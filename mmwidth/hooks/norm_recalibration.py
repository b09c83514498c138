"""Meaningful validation of a supernet: its evaluated subnet gets its own batch-norm statistics first."""
import copy
import itertools
from typing import Iterator, Optional

from mmengine.hooks import Hook

from ..algorithms.base import algorithm_of
from ..registry import HOOKS
from ..supernet.norm_statistics import InfiniteBatches, recalibrate_on_data


@HOOKS.register_module()
class SubnetNormRecalibrationHook(Hook):
    """Before validation and testing, re-estimates the batch-norm statistics of the algorithm's evaluated subnet
    on ``num_batches`` training batches; without it the running statistics, mixed over all sampled subnets,
    fit none of them and the logged accuracy says nothing."""
    priority = 'HIGH'

    def __init__(self, num_batches: int = 20):
        self.num_batches = num_batches
        self._batches: Optional[Iterator] = None

    def next_batches(self, runner) -> Iterator:
        """Batches from a loader of its own built like the training one: iterating the runner's training loader
        a second time would disturb the training loop (an InfiniteSampler's index stream is shared)."""
        if self._batches is None:
            self._batches = InfiniteBatches(runner.build_dataloader(copy.deepcopy(runner.cfg.train_dataloader),
                                                                     seed=runner.seed))
        return itertools.islice(self._batches, self.num_batches)

    def recalibrate(self, runner) -> None:
        algorithm = algorithm_of(runner, type(self).__name__)
        with algorithm.supernet.subnet(algorithm.index_sets(algorithm.eval_widths())):
            recalibrate_on_data(algorithm, self.next_batches(runner))

    def before_val(self, runner) -> None:
        self.recalibrate(runner)

    def before_test(self, runner) -> None:
        self.recalibrate(runner)
