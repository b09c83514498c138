"""Batch-norm recalibration of a subnet: which batches (seeded, the same on every run and rank), how they are
shared over ranks, and the recalibration itself. The search's scorer, ``SubnetNormRecalibrationHook`` and the
export all recalibrate through this module, so that they give a subnet the same statistics."""
import copy
import random
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import partial
from typing import Iterator, List, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dist import get_dist_info
from mmengine.registry import DATASETS, FUNCTIONS
from mmengine.runner import set_random_seed
from torch import nn

from ..utils.config import config_entry
from .norm_statistics import recalibrate_norm_statistics


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seeds python, numpy and torch for the block (e.g. a pipeline's random augmentations) and restores their
    states after it, so that drawing calibration batches during a training leaves the training's randomness as
    it was."""
    states = random.getstate(), np.random.get_state(), torch.get_rng_state()
    set_random_seed(seed)
    try:
        yield
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.set_rng_state(states[2])


@dataclass
class Calibration:
    """How a subnet's batch norms are recalibrated: ``num_batches`` batches of ``loader_cfg``'s dataset (its
    pipeline, batch size and collate function), a seeded choice of samples.

    Args:
        loader_cfg: a data loader config, usually the training loader's.
        num_batches: how many batches; a few dozen estimate the statistics well.
        seed: the choice of samples and the pipeline's augmentations.

    The scorer and the recalibration hook take their defaults from here (``Calibration.num_batches``,
    ``Calibration.seed``), so that a subnet recalibrated by either gets the same statistics.
    """
    loader_cfg: dict
    num_batches: int = 20
    seed: int = 0

    @classmethod
    def from_scorer_cfg(cls, cfg: Config, scorer: dict) -> 'Calibration':
        """The calibration a search config's scorer settings ask for (``calibration_dataloader``, a loader or the
        name of a config entry, else the training loader; ``calibration_batches``; ``seed``), with the defaults of
        this class, as :class:`mmwidth.SupernetScorer` applies them."""
        loader = config_entry(cfg, scorer.get('calibration_dataloader') or 'train_dataloader',
                              'calibration_dataloader')
        return cls(loader, scorer.get('calibration_batches', cls.num_batches), scorer.get('seed', cls.seed))

    def to_dict(self) -> dict:
        return asdict(self)

    def draw(self) -> List[dict]:
        """The batches, the same whenever, wherever and on however many ranks they are drawn.

        They are drawn without the loader's sampler, which would give each rank a different shard; a distributed
        run shares them out instead (see :func:`recalibrate`), so that it computes what one process computes.
        """
        loader_cfg = copy.deepcopy(self.loader_cfg)
        dataset = loader_cfg['dataset']
        dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        collate_cfg = dict(loader_cfg.get('collate_fn', dict(type='pseudo_collate')))
        collate_fn = collate_cfg.pop('type')
        collate = partial(FUNCTIONS.get(collate_fn) if isinstance(collate_fn, str) else collate_fn, **collate_cfg)
        batch_size = loader_cfg['batch_size']
        total = self.num_batches * batch_size
        with seeded(self.seed):
            order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(self.seed))
            order = order.repeat(-(-total // len(order)))[:total]
            return [collate([dataset[int(i)] for i in chunk]) for chunk in order.split(batch_size)]


def preprocess(model: nn.Module, batches: Sequence[dict]) -> List[dict]:
    """``batches`` through the model's data preprocessor (inference mode: no batch augmentation), once, for
    recalibrating many subnets on them."""
    with torch.no_grad():
        return [model.data_preprocessor(batch, False) for batch in batches]


@torch.no_grad()
def recalibrate(model: nn.Module, batches: Sequence[dict], preprocessed: bool = False) -> None:
    """Recalibrates the batch norms of the active subnet of ``model`` (a width-search algorithm or a plain
    OpenMMLab model) on ``batches`` (data batches, or the output of :func:`preprocess` when ``preprocessed``),
    shared out over the ranks of a distributed run: each rank runs every ``world_size``-th batch and the
    statistics are averaged over ranks."""
    rank, world_size = get_dist_info()

    def run(batch: dict) -> None:
        data = batch if preprocessed else model.data_preprocessor(batch, False)
        model(data['inputs'], data.get('data_samples'), mode='tensor')

    recalibrate_norm_statistics(model, batches[rank::world_size], run)
