"""Two of scikit-learn's handwritten digits side by side, 100 classes: an embedded task on which a network's width
limits its accuracy (a narrow network cannot hold it), for ground truths of width search on a CPU."""
from typing import List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmpretrain.datasets import BaseDataset
from sklearn.datasets import load_digits

from ..registry import DATASETS
from ..utils.errors import ConfigError
from .digits import SPLITS, split_indices, upsample

# Pairs per split. Each pair draws both digits from the same split of DigitsDataset, so no handwritten digit of
# the val or test pairs is seen in training; the test split's 359 digits make 129k ordered pairs, of which 10000
# are drawn, so that one test image is 0.01 points.
SIZES = dict(train=60000, val=5000, test=10000)
SEED = 0
# Each digit of each pair is drawn at its own rotation (degrees), scale and shift (pixels of the upsampled tile),
# uniformly within these bounds, plus Gaussian pixel noise (std, on the 0..1 gray scale). Without it the 359
# test digits would be the whole test set's content (every digit in ~56 pairs), so test accuracy would move in
# steps of one digit and saturate near 99% for every wide network.
DISTORTION = dict(rotation=10.0, scale=0.1, shift=1.0, noise=0.05)


def distort(tiles: np.ndarray, rng: np.random.Generator, rotation: float, scale: float, shift: float,
            noise: float) -> np.ndarray:
    """Each (S, S) uint8 tile of ``tiles`` under its own random affine map and pixel noise."""
    count, size = len(tiles), tiles.shape[1]
    angle = np.deg2rad(rng.uniform(-rotation, rotation, count))
    zoom = 1 / rng.uniform(1 - scale, 1 + scale, count)  # the grid maps output to input coordinates
    offset = rng.uniform(-shift, shift, (count, 2)) * (2 / size)
    theta = np.stack([np.stack([zoom * np.cos(angle), -zoom * np.sin(angle), offset[:, 0]], 1),
                      np.stack([zoom * np.sin(angle), zoom * np.cos(angle), offset[:, 1]], 1)], 1)
    gray = torch.from_numpy(tiles.astype(np.float32) / 255).unsqueeze(1)
    grid = F.affine_grid(torch.from_numpy(theta).float(), list(gray.shape), align_corners=False)
    warped = F.grid_sample(gray, grid, align_corners=False).squeeze(1).numpy()
    warped = warped + rng.normal(0, noise, warped.shape)
    return (np.clip(warped, 0, 1) * 255).round().astype(np.uint8)


def draw_pairs(split: str, image_size: int, num_pairs: int,
               distortion: Optional[dict] = None) -> Tuple[np.ndarray, np.ndarray]:
    """(N, S, 2S, 3) uint8 images and (N, ) labels ``10 * left + right`` of one split's pairs, from a private
    generator seeded by the split (the same on every call)."""
    digits = load_digits()
    pool = split_indices(digits.target, split)
    rng = np.random.default_rng([SEED, SPLITS.index(split)])
    chosen = pool[rng.integers(0, len(pool), (num_pairs, 2))]
    tiles = upsample(digits.images, image_size)[..., 0]  # every digit once, then indexed
    halves = [tiles[chosen[:, side]] for side in (0, 1)]
    if distortion:
        halves = [distort(half, rng, **distortion) for half in halves]
    images = np.repeat(np.concatenate(halves, axis=2)[..., None], 3, axis=-1)
    return images, 10 * digits.target[chosen[:, 0]] + digits.target[chosen[:, 1]]


@DATASETS.register_module()
class DigitPairs(BaseDataset):
    """Images of two handwritten digits side by side (``image_size`` x ``2 * image_size`` RGB, gray replicated),
    labelled by the pair: class ``10 * left + right``, 100 classes. The digits are scikit-learn's, drawn from the
    split of the same name of :class:`DigitsDataset`.

    Args:
        split: ``'train'`` (60000 pairs), ``'val'`` (5000, held out from training to score subnets) or
            ``'test'`` (10000, for the final report).
        image_size: height of the images (each 8x8 digit is upsampled to this square). Defaults to 16.
        num_pairs: how many pairs to draw instead of the split's default size.
        distortion: bounds of each digit's random rotation, scale, shift and pixel noise (keys of
            ``DISTORTION``, its values by default), fixed per pair; ``None`` for the digits as scanned.
        **kwargs: other arguments of :class:`mmpretrain.datasets.BaseDataset` (``pipeline``, ...).
    """
    METAINFO = dict(classes=tuple(f'{left}{right}' for left in range(10) for right in range(10)))

    def __init__(self, split: str = 'train', image_size: int = 16, num_pairs: int = None,
                 distortion: Optional[dict] = DISTORTION, ann_file: str = '', **kwargs):
        if split not in SPLITS:
            raise ConfigError(f'DigitPairs split must be one of {SPLITS}, got {split!r}')
        for name, value in (('image_size', image_size), ('num_pairs', num_pairs)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ConfigError(f'DigitPairs {name} must be a positive integer, got {value!r}')
        if distortion is not None and (not isinstance(distortion, dict) or set(distortion) != set(DISTORTION)):
            raise ConfigError(f'DigitPairs distortion must be None or a dict of {sorted(DISTORTION)}, '
                              f'got {distortion!r}')
        if distortion is not None and any(isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0
                                          for v in distortion.values()):
            raise ConfigError(f'DigitPairs distortion bounds must be non-negative numbers, got {distortion!r}')
        self.split = split
        self.distortion = distortion
        self.image_size = image_size
        self.num_pairs = num_pairs or SIZES[split]
        super().__init__(ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        images, labels = self.load_split()
        return [dict(img=img, gt_label=int(label)) for img, label in zip(images, labels)]

    def load_split(self) -> Tuple[np.ndarray, np.ndarray]:
        """(N, S, 2S, 3) uint8 images and (N, ) labels of the split."""
        return draw_pairs(self.split, self.image_size, self.num_pairs, self.distortion)

    def extra_repr(self) -> List[str]:
        return [f'Split: \t{self.split}', f'Image size: \t{self.image_size}x{2 * self.image_size}']
