"""DigitPairs: pairs of one split's digits labelled 10 x left + right, distorted per pair, deterministic, and
normalised by the base config's mean/std the way the ground truth's recipe normalises them."""
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from sklearn.datasets import load_digits

from mmwidth.datasets import DigitPairs
from mmwidth.datasets.digits import split_indices, upsample
from mmwidth.ground_truth.standalone import PairTensors
from mmwidth.registry import DATASETS
from mmwidth.utils.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
BASE_DATASET = ROOT / 'configs' / '_base_' / 'datasets' / 'digit_pairs_bs64.py'


def digit_sources(split: str):
    """{tile bytes: label} of the upsampled, undistorted digits of a split."""
    digits = load_digits()
    tiles = upsample(digits.images, 16)[..., 0]
    return {tiles[i].tobytes(): int(digits.target[i]) for i in split_indices(digits.target, split)}


@pytest.mark.parametrize('split', ['train', 'test'])
def test_undistorted_pairs_are_two_digits_of_the_split_labelled_by_both(split):
    images, labels = DigitPairs(split=split, num_pairs=300, distortion=None, lazy_init=True).load_split()
    assert images.shape == (300, 16, 32, 3) and images.dtype == np.uint8
    sources = digit_sources(split)
    for image, label in zip(images, labels):
        left, right = image[:, :16, 0].tobytes(), image[:, 16:, 0].tobytes()
        assert left in sources and right in sources  # no digit of another split
        assert label == 10 * sources[left] + sources[right]
    assert len(set(labels.tolist())) > 90  # the 100 classes are drawn combinatorially


def test_distortion_moves_every_digit_and_keeps_labels():
    clean = DigitPairs(split='test', num_pairs=200, distortion=None, lazy_init=True).load_split()
    images, labels = DigitPairs(split='test', num_pairs=200, lazy_init=True).load_split()
    np.testing.assert_array_equal(labels, clean[1])
    difference = np.abs(images.astype(int) - clean[0].astype(int)).mean(axis=(1, 2, 3))
    assert (difference > 2).all()
    again = DigitPairs(split='test', num_pairs=200, lazy_init=True).load_split()[0]
    np.testing.assert_array_equal(images, again)  # fixed per pair, not redrawn per read
    # the same digit appears in many pairs, each time differently: test pairs are not repeats of 359 digits
    sources = digit_sources('test')
    first = [i for i, image in enumerate(clean[0]) if image[:, :16, 0].tobytes() == clean[0][0][:, :16, 0].tobytes()]
    assert len({images[i][:, :16, 0].tobytes() for i in first}) == len(first)


def test_config_normalisation_matches_the_recipe():
    cfg = Config.fromfile(str(BASE_DATASET))
    data = PairTensors(cfg.image_size, splits=('train', ))
    assert cfg.data_preprocessor.mean[0] == pytest.approx(data.mean, abs=0.005)
    assert cfg.data_preprocessor.std[0] == pytest.approx(data.std, abs=0.005)
    dataset = DATASETS.build(cfg.val_dataloader.dataset)
    assert isinstance(dataset, DigitPairs) and len(dataset) == 5000
    assert tuple(dataset[0]['inputs'].shape) == (3, 16, 32)


@pytest.mark.parametrize('kwargs,message', [
    (dict(split='dev'), "DigitPairs split must be one of ('train', 'val', 'test'), got 'dev'"),
    (dict(num_pairs=0), 'DigitPairs num_pairs must be a positive integer, got 0'),
    (dict(distortion=dict(rotation=10)), 'DigitPairs distortion must be None or a dict of'),
    (dict(distortion=dict(rotation=-1.0, scale=0.1, shift=1.0, noise=0.0)),
     'DigitPairs distortion bounds must be non-negative numbers'),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ConfigError, match=message.replace('(', r'\(').replace(')', r'\)')):
        DigitPairs(lazy_init=True, **kwargs)
