"""scikit-learn's 8x8 handwritten digits as an mmpretrain dataset: a real classification task that ships with
scikit-learn, so that training, testing and width search run end to end on a CPU without any download."""
from typing import List, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmpretrain.datasets import BaseDataset
from sklearn.datasets import load_digits

from ..registry import DATASETS
from ..utils.errors import ConfigError

SPLITS = ('train', 'val', 'test')
# Fractions held out per class: ``test`` of every class for the final report, then ``val`` of the rest for scoring
# the candidate subnets of a width search; ``train`` keeps what remains.
TEST_FRACTION = 0.2
VAL_FRACTION = 0.2
SPLIT_SEED = 0
MAX_PIXEL = 16  # the digits' gray levels are 0..16


def split_indices(labels: np.ndarray, split: str) -> np.ndarray:
    """Sorted indices of one split, stratified by class. The permutation comes from a private generator, so the
    splits do not depend on (or disturb) any global random state."""
    rng = np.random.default_rng(SPLIT_SEED)
    chosen = []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        num_test = round(TEST_FRACTION * len(members))
        num_val = round(VAL_FRACTION * (len(members) - num_test))
        bounds = dict(test=(0, num_test), val=(num_test, num_test + num_val), train=(num_test + num_val, None))
        start, stop = bounds[split]
        chosen.append(members[start:stop])
    return np.sort(np.concatenate(chosen))


def upsample(images: np.ndarray, image_size: int) -> np.ndarray:
    """(N, 8, 8) gray levels 0..16 -> (N, S, S, 3) uint8 0..255, bilinear, the gray copied to the 3 channels."""
    gray = torch.from_numpy(images.astype(np.float32) * (255 / MAX_PIXEL)).unsqueeze(1)
    gray = F.interpolate(gray, size=(image_size, image_size), mode='bilinear', align_corners=False)
    gray = gray.squeeze(1).round().clamp(0, 255).to(torch.uint8).numpy()
    return np.repeat(gray[..., None], 3, axis=-1)


@DATASETS.register_module()
class DigitsDataset(BaseDataset):
    """The 1797 handwritten digits of ``sklearn.datasets.load_digits`` (10 classes), upsampled to
    ``image_size`` x ``image_size`` RGB uint8 images so that mmpretrain's ``PackInputs`` and
    ``ClsDataPreprocessor`` take them unchanged.

    Args:
        split (str): ``'train'`` (about 60%), ``'val'`` (about 16%, held out from training to score subnets) or
            ``'test'`` (20%, for the final report). The splits are fixed, disjoint and stratified by class.
        image_size (int): Side of the square images. Defaults to 16.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset` (``pipeline``, ``test_mode``, ...).
    """
    METAINFO = dict(classes=tuple(str(digit) for digit in range(10)))

    def __init__(self, split: str = 'train', image_size: int = 16, ann_file: str = '', **kwargs):
        if split not in SPLITS:
            raise ConfigError(f'DigitsDataset split must be one of {SPLITS}, got {split!r}')
        if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 1:
            raise ConfigError(f'DigitsDataset image_size must be a positive integer, got {image_size!r}')
        self.split = split
        self.image_size = image_size
        super().__init__(ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        """All images of the split, upsampled at once (the whole dataset is tiny)."""
        images, labels = self.load_split()
        return [dict(img=img, gt_label=int(label)) for img, label in zip(images, labels)]

    def load_split(self) -> Tuple[np.ndarray, np.ndarray]:
        """(N, S, S, 3) uint8 images and (N, ) labels of the split, in the order of scikit-learn's data."""
        digits = load_digits()
        indices = split_indices(digits.target, self.split)
        return upsample(digits.images[indices], self.image_size), digits.target[indices]

    def extra_repr(self) -> List[str]:
        return [f'Split: \t{self.split}', f'Image size: \t{self.image_size}']
