"""Scoring a candidate width config: from the trained supernet, after batch-norm recalibration."""
import copy
import logging
from functools import partial
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.dist import get_dist_info
from mmengine.logging import print_log
from mmengine.registry import DATASETS, FUNCTIONS
from mmengine.runner import set_random_seed
from torch import nn

from ..registry import TASK_UTILS
from ..space.width_space import Subnet
from ..supernet.norm_statistics import recalibrate_on_data
from ..utils.errors import ConfigError
from .subject import SearchSubject


def draw_calibration_batches(loader_cfg: dict, num_batches: int, seed: int) -> List[dict]:
    """The batches batch-norm statistics are recalibrated on, the same whenever, wherever and on however many
    ranks they are drawn: a seeded choice of samples (augmentations seeded too), batched like ``loader_cfg``.

    They are drawn without the loader's sampler, which would give each rank a different shard; a distributed
    run shares the batches out instead (see :func:`recalibrate`), so it scores what one process scores.
    """
    loader_cfg = copy.deepcopy(loader_cfg)
    dataset = loader_cfg['dataset']
    dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
    collate_cfg = dict(loader_cfg.get('collate_fn', dict(type='pseudo_collate')))
    collate_fn = collate_cfg.pop('type')
    collate = partial(FUNCTIONS.get(collate_fn) if isinstance(collate_fn, str) else collate_fn, **collate_cfg)
    batch_size = loader_cfg['batch_size']
    set_random_seed(seed)
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))
    order = order.repeat(-(-num_batches * batch_size // len(order)))[:num_batches * batch_size]
    return [collate([dataset[int(i)] for i in chunk]) for chunk in order.split(batch_size)]


@torch.no_grad()
def recalibrate(model: nn.Module, batches: Sequence[dict]) -> None:
    """Recalibrates the active subnet of ``model`` (an algorithm or a plain OpenMMLab model) on ``batches``,
    shared out over the ranks of a distributed run."""
    rank, world_size = get_dist_info()
    recalibrate_on_data(model, batches[rank::world_size])


@TASK_UTILS.register_module()
class SupernetScorer:
    """Scores a width by its subnets in the supernet (BCNet: left and right, averaged; CafeNet: the best of
    its placements; AutoSlim: left).

    Each subnet first gets batch-norm statistics of its own, from ``calibration_batches`` training batches
    (drawn once with a fixed seed, so a candidate scores the same whenever and on whichever run it is scored),
    then is evaluated on ``dataloader`` -- a held-out part of the training data where the dataset allows, not
    the validation set used for final reporting. Under distributed runs both steps are shared over ranks.

    Args:
        dataloader / evaluator: what to score on (configs, as in ``val_dataloader`` / ``val_evaluator``).
        metric: the evaluator's metric to maximise.
        calibration_dataloader: where calibration batches come from (usually the training loader).
    """
    needs_trained_weights = True  # tools/search.py refuses to run it without a supernet checkpoint

    def __init__(self, runner, subject: SearchSubject, dataloader: dict, evaluator: dict,
                 metric: str = 'accuracy/top1', calibration_batches: int = 20,
                 calibration_dataloader: Optional[dict] = None, seed: int = 0):
        self.subject = subject
        self.metric = metric
        self.dataloader = runner.build_dataloader(dataloader, seed=seed)
        self.evaluator = runner.build_evaluator(evaluator)
        self.evaluator.dataset_meta = getattr(self.dataloader.dataset, 'metainfo', None)
        if calibration_dataloader is None:
            raise ConfigError('SupernetScorer needs calibration_dataloader (usually the training loader)')
        calibration = dict(loader_cfg=calibration_dataloader, num_batches=calibration_batches, seed=seed)
        # what decides a score, recorded in search_result.json: an export recalibrates the same way
        self.scoring = dict(metric=metric, calibration=calibration)
        self.calibration = draw_calibration_batches(**calibration)

    @torch.no_grad()
    def evaluate(self) -> float:
        """The metric of the active subnet as it is (no recalibration)."""
        model = self.subject.model
        model.eval()
        for batch in self.dataloader:
            data = model.data_preprocessor(batch, False)
            outputs = model(data['inputs'], data.get('data_samples'), mode='predict')
            self.evaluator.process(data_samples=outputs, data_batch=batch)
        metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        if not metrics:  # e.g. mmdet's CocoMetric when a detector found nothing above its score threshold
            print_log(f'the evaluator gave no metrics (no predictions to score?): "{self.metric}" counts as 0',
                      logger='current', level=logging.WARNING)
            return 0.0
        if self.metric not in metrics:
            raise ConfigError(f'the evaluator gives {sorted(metrics)}; no metric "{self.metric}" to maximise')
        return float(metrics[self.metric])

    def score(self, widths: Subnet) -> Dict:
        scores = {}
        for label, index_sets in self.subject.patterns(widths).items():
            with self.subject.supernet.subnet(index_sets):
                recalibrate(self.subject.model, self.calibration)
                scores[label] = self.evaluate()
        combine = max if self.subject.reduction == 'max' else (lambda values: sum(values) / len(values))
        return dict(score=combine(list(scores.values())), patterns=scores)
