"""A held-out part of a training set, for scoring the candidates of a width search."""
from typing import Union

import numpy as np
from mmengine.dataset import BaseDataset

from ..registry import DATASETS
from ..utils.errors import ConfigError

PARTS = ('train', 'holdout')


@DATASETS.register_module()
class HeldOutSplit:
    """Splits any dataset in two fixed parts: ``holdout`` samples drawn with ``seed`` and the rest (``train``).

    Supernets train on the ``train`` part and a width search scores candidates on the ``holdout`` part, so that
    the official validation set stays untouched for the final report (the official BCNet/BCNetV2 code scores on
    the validation set itself). Both parts of one dataset, seed and size never overlap.

    Args:
        dataset: the dataset (a config or a built dataset).
        part: ``'train'`` or ``'holdout'``.
        holdout: how many samples are held out, or which fraction of them (a float in (0, 1)).
        seed: seed of the draw.
    """

    def __init__(self, dataset: Union[dict, BaseDataset], part: str, holdout: Union[int, float], seed: int = 0):
        if part not in PARTS:
            raise ConfigError(f'HeldOutSplit part must be one of {PARTS}, got "{part}"')
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        size = len(self.dataset)
        count = max(1, round(holdout * size)) if isinstance(holdout, float) else holdout
        if not 0 < count < size:
            raise ConfigError(f'HeldOutSplit holdout must keep samples in both parts of {size}, got {holdout}')
        held = np.zeros(size, dtype=bool)
        held[np.random.default_rng(seed).permutation(size)[:count]] = True
        self.indices = np.flatnonzero(held if part == 'holdout' else ~held)
        self.part = part

    @property
    def metainfo(self) -> dict:
        return self.dataset.metainfo

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> dict:
        return self.dataset[int(self.indices[index])]

    def get_data_info(self, index: int) -> dict:
        """The raw annotation of a sample (mmdet's ``AspectRatioBatchSampler`` groups images by their shape)."""
        return self.dataset.get_data_info(int(self.indices[index]))
