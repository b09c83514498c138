"""Scoring a candidate width config from the trained supernet, after batch-norm recalibration."""
import copy
import logging
import math
from statistics import NormalDist
from typing import Dict, List, Optional

from mmengine.logging import print_log
from mmengine.dist import get_world_size

from ..registry import TASK_UTILS
from ..space.width_space import Subnet
from ..supernet.calibration import Calibration, preprocess, recalibrate
from ..supernet.norm_statistics import norm_statistics, restore_norm_statistics
from ..supernet.subject import SearchSubject
from ..utils.config import config_entry
from ..utils.errors import ConfigError
from .subnet_val_loop import SubnetValLoop


def split_score_bound(p: float, n: int, total: int, z: float) -> float:
    """An upper confidence bound (``z`` standard errors) of a split's score, a percentage of correctly handled
    samples, from ``p`` on a random ``n`` of its ``total`` samples: ``p + z * sqrt((1 - n / total) p (100 - p) / n)``.
    The correction ``1 - n / total`` counts that the ``n`` are part of the split, so their share of its score is
    known, not estimated."""
    p = min(max(p, 0.0), 100.0)
    return p + z * math.sqrt(max(1 - n / total, 0.0) * p * (100 - p) / n)


@TASK_UTILS.register_module()
class SupernetScorer:
    """Scores a width by its subnets in the supernet (BCNet: left and right, averaged; CafeNet: the best of
    its placements; AutoSlim: left).

    Each subnet first gets batch-norm statistics of its own, from ``calibration_batches`` training batches
    (drawn once with a fixed seed, so a candidate scores the same whenever and on whichever run it is scored),
    then is evaluated on ``dataloader`` -- a held-out part of the training data where the dataset allows, not
    the validation set used for final reporting -- through :class:`SubnetValLoop` (MMEngine's ValLoop and
    evaluator, the split's batches preprocessed once and cached). Under distributed runs both steps are shared
    over ranks.

    Racing (``racing``, on unless None): every subnet of a candidate is first evaluated on ``fraction`` of the
    split (in a seeded random order, so that part is a random sample); a candidate whose score cannot reach
    the search's current threshold (the k-th best score) with probability ``1 - confidence`` is stopped there
    and keeps its partial score. The bound treats the metric as a percentage of correctly handled samples
    (top-1, attribute accuracy; see :func:`split_score_bound`); switch it off for other metrics (e.g. mAP).

    Args:
        runner: the runner (builds the loader and the evaluator).
        subject: the supernet as the search sees it.
        dataloader / evaluator: what to score on (configs, or names of config entries, as ``val_dataloader`` /
            ``val_evaluator``).
        metric: the evaluator's metric to maximise.
        calibration_dataloader: where calibration batches come from: a loader config or the name of a config
            entry (the training loader's by default).
        calibration_batches / seed: see :class:`mmwidth.supernet.calibration.Calibration`.
        fp16: evaluate under autocast, as ``ValLoop(fp16=True)``.
        cache / max_cache_mb: see :class:`SubnetValLoop`.
        racing: ``dict(fraction=0.25, confidence=0.99)``, or None to score every candidate on the whole split.
    """
    needs_trained_weights = True  # a search refuses to run it without a supernet checkpoint

    def __init__(self, runner, subject: SearchSubject, dataloader='search_dataloader',
                 evaluator='val_evaluator', metric: str = 'accuracy/top1', calibration_dataloader='train_dataloader',
                 calibration_batches: int = Calibration.num_batches, seed: int = Calibration.seed, fp16: bool = False,
                 cache: bool = True, max_cache_mb: float = 4096,
                 racing: Optional[dict] = dict(fraction=0.25, confidence=0.99)):
        self.subject = subject
        self.metric = metric
        dataloader = copy.deepcopy(config_entry(runner.cfg, dataloader, 'scorer.dataloader'))
        evaluator = config_entry(runner.cfg, evaluator, 'scorer.evaluator')
        self.racing = self._racing(racing)
        if self.racing:  # the first part of the split must be a random sample of it
            dataloader['sampler'] = dict(dataloader.get('sampler') or dict(type='DefaultSampler'), shuffle=True,
                                         seed=seed)
        self.loop = SubnetValLoop(runner, dataloader, evaluator, subject.model, fp16, cache, max_cache_mb)
        calibration = Calibration(config_entry(runner.cfg, calibration_dataloader, 'scorer.calibration_dataloader'),
                                  calibration_batches, seed)
        # what decides a score, recorded in search_result.json (an export recalibrates the same way) and in the
        # search's state (a resumed search must score as it did)
        self.scoring = dict(metric=metric, calibration=calibration.to_dict())
        self.settings = dict(self.scoring, dataloader=dataloader, evaluator=evaluator, fp16=fp16, racing=self.racing)
        self.calibration = preprocess(subject.model, calibration.draw()) if cache else calibration.draw()
        self.threshold: Optional[float] = None  # set by the search loop: the score a candidate must reach

    @staticmethod
    def _racing(racing: Optional[dict]) -> Optional[dict]:
        if racing is None:
            return None
        unknown = set(racing) - {'fraction', 'confidence'}
        racing = dict(dict(fraction=0.25, confidence=0.99), **racing)
        if unknown or not 0 < racing['fraction'] < 1 or not 0.5 < racing['confidence'] < 1:
            raise ConfigError(f'scorer.racing takes fraction in (0, 1) and confidence in (0.5, 1), got {racing}')
        return racing

    def _metric(self, metrics: dict) -> float:
        if not metrics:  # e.g. mmdet's CocoMetric when a detector found nothing above its score threshold
            print_log(f'the evaluator gave no metrics (no predictions to score?): "{self.metric}" counts as 0',
                      logger='current', level=logging.WARNING)
            return 0.0
        if self.metric not in metrics:
            raise ConfigError(f'the evaluator gives {sorted(metrics)}; no metric "{self.metric}" to maximise')
        return float(metrics[self.metric])

    def recalibrate(self) -> None:
        """Gives the active subnet batch-norm statistics of its own, on the calibration batches."""
        recalibrate(self.subject.model, self.calibration, preprocessed=self.loop.cache)

    def evaluate(self) -> float:
        """The metric of the active subnet as it is (no recalibration), on the whole split."""
        return self._metric(self.loop.run())

    def _combine(self, scores: List[float]) -> float:
        return max(scores) if self.subject.reduction == 'max' else sum(scores) / len(scores)

    def score(self, widths: Subnet) -> Dict:
        patterns = self.subject.patterns(widths)
        if self.racing is None or self.threshold is None:
            scores = {}
            for label, index_sets in patterns.items():
                with self.subject.supernet.subnet(index_sets):
                    self.recalibrate()
                    scores[label] = self.evaluate()
            return dict(score=self._combine(list(scores.values())), patterns=scores)
        return self._race(patterns)

    def _race(self, patterns: dict) -> Dict:
        """Scores every subnet on the first part of the split, stops there when the candidate cannot reach the
        threshold with the stated confidence, else completes each subnet's evaluation from where it stopped."""
        # the first `size` samples of the split's seeded order, whatever the number of ranks (the evaluator
        # gathers the ranks' results in that order and keeps `size` of them)
        size = math.ceil(self.racing['fraction'] * len(self.loop.dataloader.dataset))
        first = math.ceil(size / (get_world_size() * self.loop.dataloader.batch_size))
        z = NormalDist().inv_cdf(self.racing['confidence'])
        partial, paused, bounds = {}, {}, []
        for label, index_sets in patterns.items():
            with self.subject.supernet.subnet(index_sets):
                self.recalibrate()
                samples = self.loop.process(0, first)
                partial[label] = self._metric(self.loop.peek(size))
                paused[label] = (norm_statistics(self.subject.model), self.loop.results(), samples)
                self.loop.restore([[] for _ in paused[label][1]], 0)
            bounds.append(split_score_bound(partial[label], size, len(self.loop.dataloader.dataset), z))
        if self._combine(bounds) < self.threshold:
            return dict(score=self._combine(list(partial.values())), patterns=partial, raced=True)
        scores = {}
        for label, index_sets in patterns.items():
            statistics, results, samples = paused[label]
            with self.subject.supernet.subnet(index_sets):
                restore_norm_statistics(statistics)
                self.loop.restore(results, samples)
                self.loop.process(first)
                scores[label] = self._metric(self.loop.evaluate())
        return dict(score=self._combine(list(scores.values())), patterns=scores)
