"""A small COCO-format detection dataset made from scikit-learn's handwritten digits, for detection on a CPU.

Each image is a black canvas with a few digits pasted at random places and sizes; a box is where a digit was
pasted (the extent of its written pixels) and its category is the digit. The files (PNG images and COCO json annotations) are written once into a
cache folder and read back by mmdet's own :class:`~mmdet.datasets.CocoDataset`, so training, testing and the
COCO box mAP of :class:`~mmdet.evaluation.CocoMetric` run exactly as on COCO.

The canvases of ``train`` use the digit images of :class:`DigitsDataset`'s train and val splits, those of
``test`` its test split: a detector is tested on handwriting it never saw. A width search scores on a
:class:`HeldOutSplit` of ``train`` (as on COCO, where it scores on a held-out part of train2017).
"""
import json
import os
import os.path as osp
import shutil
import tempfile
from typing import List, Tuple

import numpy as np
from mmdet.datasets import CocoDataset
from PIL import Image
from sklearn.datasets import load_digits

from ..registry import DATASETS
from ..utils.errors import ConfigError
from .digits import split_indices, upsample

SPLITS = dict(train=('train', 'val'), test=('test', ))  # detection split -> digit-image splits it draws from
# images per split and the seed of each split's draw; bump VERSION when the drawing changes (a new cache folder)
NUM_IMAGES = dict(train=640, test=160)
SEEDS = dict(train=1, test=2)
VERSION = 2
INK = 64  # gray level (of 255) from which a pixel belongs to the written digit
DIGITS_PER_IMAGE = (1, 3)
DEFAULT_ROOT = osp.join(osp.expanduser('~'), '.cache', 'mmwidth')


def cache_folder(root: str, canvas_size: int, digit_sizes: Tuple[int, int]) -> str:
    return osp.join(root, f'digits_coco_{canvas_size}px_{digit_sizes[0]}-{digit_sizes[1]}_v{VERSION}')


def place_digits(rng: np.random.Generator, canvas_size: int, digit_sizes: Tuple[int, int],
                 count: int) -> List[Tuple[int, int, int]]:
    """Up to ``count`` non-overlapping squares (x, y, side) inside the canvas, by rejection."""
    placed: List[Tuple[int, int, int]] = []
    for _ in range(50 * count):
        if len(placed) == count:
            break
        side = int(rng.integers(digit_sizes[0], digit_sizes[1] + 1))
        x, y = (int(v) for v in rng.integers(0, canvas_size - side + 1, size=2))
        if all(x + side <= px or px + ps <= x or y + side <= py or py + ps <= y for px, py, ps in placed):
            placed.append((x, y, side))
    return placed


def ink_box(patch: np.ndarray, x: int, y: int) -> List[int]:
    """COCO box [x, y, w, h] of the written pixels of a pasted digit (its square's blank margins left out: a
    detector cannot see where black padding ends on a black canvas)."""
    rows, cols = np.flatnonzero((patch >= INK).any(axis=1)), np.flatnonzero((patch >= INK).any(axis=0))
    return [x + int(cols[0]), y + int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)]


def draw_split(split: str, canvas_size: int, digit_sizes: Tuple[int, int]) -> Tuple[List[np.ndarray], dict]:
    """The images of one split and their COCO annotations (deterministic: seeded per split)."""
    digits = load_digits()
    pool = np.sort(np.concatenate([split_indices(digits.target, part) for part in SPLITS[split]]))
    rng = np.random.default_rng(SEEDS[split])
    images, image_infos, annotations = [], [], []
    for image_id in range(1, NUM_IMAGES[split] + 1):
        canvas = np.zeros((canvas_size, canvas_size, 3), dtype=np.uint8)
        count = int(rng.integers(DIGITS_PER_IMAGE[0], DIGITS_PER_IMAGE[1] + 1))
        for x, y, side in place_digits(rng, canvas_size, digit_sizes, count):
            index = int(rng.choice(pool))
            patch = upsample(digits.images[index:index + 1], side)[0]
            canvas[y:y + side, x:x + side] = patch
            box = ink_box(patch[..., 0], x, y)
            annotations.append(dict(id=len(annotations) + 1, image_id=image_id, iscrowd=0,
                                    area=box[2] * box[3], category_id=int(digits.target[index]) + 1, bbox=box))
        images.append(canvas)
        image_infos.append(dict(id=image_id, file_name=f'{image_id:05d}.png', width=canvas_size,
                                height=canvas_size))
    categories = [dict(id=digit + 1, name=str(digit)) for digit in range(10)]
    return images, dict(images=image_infos, annotations=annotations, categories=categories)


def write_digits_coco(folder: str, canvas_size: int, digit_sizes: Tuple[int, int]) -> None:
    """Writes ``folder/{train,test}/*.png`` and ``folder/annotations/{train,test}.json``. The files are built in
    a temporary folder beside it and moved in at once, so that processes starting together (a distributed run)
    never read a half-written dataset."""
    parent = osp.dirname(osp.abspath(folder))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix='.digits_coco_', dir=parent)
    try:
        os.makedirs(osp.join(staging, 'annotations'))
        for split in SPLITS:
            images, coco = draw_split(split, canvas_size, digit_sizes)
            os.makedirs(osp.join(staging, split))
            for image, info in zip(images, coco['images']):
                Image.fromarray(image).save(osp.join(staging, split, info['file_name']))
            with open(osp.join(staging, 'annotations', f'{split}.json'), 'w') as f:
                json.dump(coco, f)
        try:
            os.rename(staging, folder)
        except OSError:  # another process got there first: its files are the same
            if not osp.isdir(folder):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@DATASETS.register_module()
class DigitsCocoDataset(CocoDataset):
    """mmdet's :class:`CocoDataset` on the digits detection set (see the module docstring), written into
    ``data_root`` first if it is not there yet.

    Args:
        split (str): ``'train'`` (640 images, 1 to 3 digits each) or ``'test'`` (160 images).
        canvas_size (int): Side of the square images. Defaults to 64.
        digit_sizes (tuple): Smallest and largest side of a pasted digit. Defaults to (14, 28).
        data_root (str): The cache folder, holding one folder per canvas and digit sizes (default ``~/.cache/mmwidth``).
        **kwargs: Other arguments of :class:`CocoDataset` (``pipeline``, ``test_mode``, ``filter_cfg``, ...).
    """
    METAINFO = dict(classes=tuple(str(digit) for digit in range(10)),
                    palette=[(220, 20, 60), (119, 11, 32), (0, 0, 142), (0, 0, 230), (106, 0, 228),
                             (0, 60, 100), (0, 80, 100), (0, 0, 70), (0, 0, 192), (250, 170, 30)])

    def __init__(self, split: str = 'train', canvas_size: int = 64, digit_sizes: Tuple[int, int] = (14, 28),
                 data_root: str = DEFAULT_ROOT, **kwargs):
        if split not in SPLITS:
            raise ConfigError(f'DigitsCocoDataset split must be one of {tuple(SPLITS)}, got {split!r}')
        if not isinstance(canvas_size, int) or isinstance(canvas_size, bool) or canvas_size < 16:
            raise ConfigError(f'DigitsCocoDataset canvas_size must be an integer of at least 16, got {canvas_size!r}')
        low, high = digit_sizes
        if not 8 <= low <= high <= canvas_size:
            raise ConfigError(f'DigitsCocoDataset digit_sizes must satisfy 8 <= low <= high <= canvas_size, '
                              f'got {tuple(digit_sizes)}')
        for key in ('ann_file', 'data_prefix'):
            if key in kwargs:
                raise ConfigError(f'DigitsCocoDataset writes its own files: drop {key} (choose split/data_root)')
        folder = cache_folder(data_root, canvas_size, (low, high))
        if not osp.isfile(osp.join(folder, 'annotations', 'test.json')):
            write_digits_coco(folder, canvas_size, (low, high))
        self.split = split
        super().__init__(data_root=folder, ann_file=f'annotations/{split}.json', data_prefix=dict(img=f'{split}/'),
                         **kwargs)
