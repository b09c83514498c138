"""DigitsDataset: fixed disjoint splits, image format, errors, and normalization with the base config's mean/std."""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from sklearn.datasets import load_digits

from mmwidth.datasets import DigitsDataset
from mmwidth.datasets.digits import split_indices
from mmwidth.registry import DATASETS, MODELS
from mmwidth.utils.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
BASE_DATASET = ROOT / 'configs' / '_base_' / 'datasets' / 'digits_bs64.py'
SPLIT_SIZES = dict(train=1151, val=287, test=359)


@pytest.fixture(scope='module')
def splits():
    return {split: DigitsDataset(split=split).load_split() for split in SPLIT_SIZES}


@pytest.fixture(scope='module')
def base_cfg():
    return Config.fromfile(str(BASE_DATASET))


def test_splits_are_disjoint_and_cover_all(splits):
    labels = load_digits().target
    indices = np.concatenate([split_indices(labels, split) for split in SPLIT_SIZES])
    np.testing.assert_array_equal(np.sort(indices), np.arange(1797))  # each image in exactly one split
    assert {split: len(images) for split, (images, _) in splits.items()} == SPLIT_SIZES


def test_splits_are_deterministic_and_ignore_global_rng(splits):
    np.random.seed(123)
    torch.manual_seed(123)
    images, labels = DigitsDataset(split='val').load_split()
    np.testing.assert_array_equal(images, splits['val'][0])
    np.testing.assert_array_equal(labels, splits['val'][1])


def test_class_balance(splits):
    for split, (_, labels) in splits.items():
        counts = np.bincount(labels, minlength=10)
        fractions = counts / len(labels)
        assert np.all(np.abs(fractions - 0.1) < 0.01), (split, counts)


def test_samples_and_metainfo():
    dataset = DigitsDataset(split='test')
    sample = dataset[0]
    assert sample['img'].shape == (16, 16, 3) and sample['img'].dtype == np.uint8
    assert isinstance(sample['gt_label'], int) and 0 <= sample['gt_label'] < 10
    assert dataset.CLASSES == tuple('0123456789')
    labels = dataset.get_gt_labels()
    assert labels.shape == (359, ) and set(labels) == set(range(10))
    images, _ = dataset.load_split()
    assert images.min() == 0 and images.max() == 255
    np.testing.assert_array_equal(images[..., 0], images[..., 2])  # gray in every channel


@pytest.mark.parametrize('size', [8, 32])
def test_image_size(size):
    images, _ = DigitsDataset(split='test', image_size=size, lazy_init=True).load_split()
    assert images.shape == (359, size, size, 3) and images.dtype == np.uint8
    if size == 8:  # no resampling: the 0..16 gray levels scaled to 0..255
        assert set(np.unique(images)) <= {round(level * 255 / 16) for level in range(17)}


def test_built_from_registry(base_cfg):
    dataset = DATASETS.build(base_cfg.val_dataloader.dataset)
    assert isinstance(dataset, DigitsDataset) and len(dataset) == SPLIT_SIZES['val']


@pytest.mark.parametrize('kwargs,message', [
    (dict(split='validation'), "DigitsDataset split must be one of ('train', 'val', 'test'), got 'validation'"),
    (dict(image_size=0), 'DigitsDataset image_size must be a positive integer, got 0'),
    (dict(image_size=16.0), 'DigitsDataset image_size must be a positive integer, got 16.0'),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ConfigError) as info:
        DigitsDataset(**kwargs)
    assert str(info.value) == message


def test_preprocessed_batches_are_normalized(base_cfg):
    dataset = DigitsDataset(split='train', pipeline=base_cfg.test_pipeline)
    preprocessor = MODELS.build(dict(type='mmpretrain.ClsDataPreprocessor', **base_cfg.data_preprocessor))
    batch = preprocessor(pseudo_collate([dataset[i] for i in range(len(dataset))]), training=False)
    inputs = batch['inputs']
    assert inputs.shape == (SPLIT_SIZES['train'], 3, 16, 16) and inputs.dtype == torch.float32
    assert abs(inputs.mean().item()) < 0.01 and abs(inputs.std().item() - 1) < 0.01
    labels = torch.cat([sample.gt_label for sample in batch['data_samples']])
    np.testing.assert_array_equal(labels.numpy(), dataset.get_gt_labels())
