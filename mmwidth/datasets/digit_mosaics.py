"""An embedded multi-label attribute set in CelebA's official format, for training and searching on a CPU: 2x2
mosaics of scikit-learn's handwritten digits, with 40 attributes of the four digits they show."""
import os
import os.path as osp
import shutil
import tempfile
from typing import Callable, Dict, List, Tuple

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits

from ..registry import DATASETS
from .celeba import ATTRIBUTE_FILE, IMAGE_DIR, PARTITION_FILE, PARTITIONS, CelebA
from .digits import MAX_PIXEL, split_indices

# Mosaics per partition; each draws its four digits from the digits of the same split of DigitsDataset, so that
# no handwritten digit of the test mosaics is seen in training.
SIZES = dict(train=4000, val=500, test=1000)
SEED = 0
JPEG_QUALITY = 95

LOOPS = (0, 6, 8, 9)
PRIMES = (2, 3, 5, 7)


def _count(digits: np.ndarray, members) -> np.ndarray:
    return np.isin(digits, members).sum(axis=1)


# Attributes of the four digits (rows of an (N, 4) array) that do not depend on where each digit sits: the
# supernets end in global average pooling, as CelebA's attribute classifiers do.
ATTRIBUTES: Dict[str, Callable[[np.ndarray], np.ndarray]] = {
    **{f'Contains_{d}': (lambda x, d=d: (x == d).any(axis=1)) for d in range(10)},
    **{f'At_Least_{k}_Even': (lambda x, k=k: _count(x, (0, 2, 4, 6, 8)) >= k) for k in (1, 2, 3, 4)},
    **{f'At_Least_{k}_Odd': (lambda x, k=k: _count(x, (1, 3, 5, 7, 9)) >= k) for k in (2, 3)},
    **{f'At_Least_{k}_Large': (lambda x, k=k: (x >= 5).sum(axis=1) >= k) for k in (2, 3)},
    **{f'At_Least_{k}_Small': (lambda x, k=k: (x <= 2).sum(axis=1) >= k) for k in (1, 2)},
    **{f'At_Least_{k}_With_Loop': (lambda x, k=k: _count(x, LOOPS) >= k) for k in (1, 2)},
    **{f'At_Least_{k}_Prime': (lambda x, k=k: _count(x, PRIMES) >= k) for k in (1, 2, 3)},
    'As_Many_Even_As_Odd': lambda x: _count(x, (0, 2, 4, 6, 8)) == 2,
    **{f'Sum_At_Least_{s}': (lambda x, s=s: x.sum(axis=1) >= s) for s in (10, 14, 18, 22)},
    'Sum_Even': lambda x: x.sum(axis=1) % 2 == 0,
    'Max_At_Least_6': lambda x: x.max(axis=1) >= 6,
    'Max_At_Least_8': lambda x: x.max(axis=1) >= 8,
    'Min_At_Most_1': lambda x: x.min(axis=1) <= 1,
    'Min_At_Most_3': lambda x: x.min(axis=1) <= 3,
    **{f'Range_At_Least_{r}': (lambda x, r=r: x.max(axis=1) - x.min(axis=1) >= r) for r in (5, 7)},
    'All_Distinct': lambda x: np.array([len(set(row)) == 4 for row in x], dtype=bool),
    'Has_Repeated_Digit': lambda x: np.array([len(set(row)) < 4 for row in x], dtype=bool),
    'Has_Consecutive_Digits': lambda x: np.array([any(d + 1 in row for d in row) for row in x], dtype=bool),
}


def draw_mosaics(split: str, digits=None) -> Tuple[np.ndarray, np.ndarray]:
    """(N, 16, 16) uint8 gray mosaics of one split and their (N, 4) digits (top left, top right, bottom left,
    bottom right), from a private generator: the same on every call."""
    digits = load_digits() if digits is None else digits
    pool = split_indices(digits.target, split)
    rng = np.random.default_rng([SEED, PARTITIONS[split]])
    chosen = pool[rng.integers(0, len(pool), (SIZES[split], 4))]
    tiles = np.round(digits.images[chosen] * (255 / MAX_PIXEL)).astype(np.uint8)  # (N, 4, 8, 8)
    top = np.concatenate([tiles[:, 0], tiles[:, 1]], axis=2)
    bottom = np.concatenate([tiles[:, 2], tiles[:, 3]], axis=2)
    return np.concatenate([top, bottom], axis=1), digits.target[chosen]


def write_release(root: str) -> None:
    """Writes the mosaics of all splits into ``root`` as CelebA's release is laid out: ``img_align_celeba/``
    with ``000001.jpg``..., ``list_attr_celeba.txt`` and ``list_eval_partition.txt``."""
    digits = load_digits()
    os.makedirs(osp.join(root, IMAGE_DIR))
    names = list(ATTRIBUTES)
    attribute_lines: List[str] = []
    partition_lines: List[str] = []
    for split, code in PARTITIONS.items():
        images, shown = draw_mosaics(split, digits)
        values = np.stack([ATTRIBUTES[name](shown) for name in names], axis=1)
        for image, row in zip(images, values):
            file_name = f'{len(partition_lines) + 1:06d}.jpg'
            Image.fromarray(image).convert('RGB').save(osp.join(root, IMAGE_DIR, file_name),
                                                       quality=JPEG_QUALITY)
            # as in the release: values right-aligned in 2 characters, one space apart
            attribute_lines.append(file_name + ' ' + ' '.join(f'{1 if v else -1:2d}' for v in row))
            partition_lines.append(f'{file_name} {code}')
    with open(osp.join(root, ATTRIBUTE_FILE), 'w') as f:
        f.write('\n'.join([str(len(attribute_lines)), ' '.join(names)] + attribute_lines) + '\n')
    with open(osp.join(root, PARTITION_FILE), 'w') as f:
        f.write('\n'.join(partition_lines) + '\n')


def ensure_release(root: str) -> None:
    """Generates the set into ``root`` unless it is there. It is written into a temporary folder next to
    ``root`` and renamed at once, so that concurrent processes (ranks, data-loader builds) never read half a
    set."""
    if osp.isdir(root):
        return
    parent = osp.dirname(osp.abspath(root))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix='.digit_mosaics-', dir=parent)
    try:
        write_release(osp.join(staging, 'set'))
        try:
            os.rename(osp.join(staging, 'set'), root)
        except OSError:  # another process finished first
            if not osp.isdir(root):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@DATASETS.register_module()
class DigitMosaics(CelebA):
    """2x2 mosaics (16x16 RGB) of scikit-learn's 8x8 digits with 40 binary attributes of the four digits
    (``Contains_7``, ``At_Least_2_Even``, ``Sum_At_Least_18``, ...): a real multi-label task that needs no
    download. The set is written in CelebA's official format into ``data_root`` when it is missing (delete the
    folder to regenerate it) and read by :class:`CelebA`, split by split: 4000 train, 500 val, 1000 test mosaics
    whose digits come from disjoint parts of scikit-learn's digits.

    Args:
        data_root: the cache folder of the set.
        **kwargs: the arguments of :class:`CelebA` (``split``, ``pipeline``, ...).
    """

    def __init__(self, data_root: str = 'data/digit_mosaics', **kwargs):
        ensure_release(data_root)
        super().__init__(data_root=data_root, **kwargs)
