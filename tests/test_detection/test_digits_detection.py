"""The embedded digits detection set: deterministic COCO files written on first use, read by mmdet's own
CocoDataset and scored by its own CocoMetric (perfect predictions score a box mAP of 1)."""
import shutil

import numpy as np
import pytest
import torch
from mmdet.evaluation import CocoMetric
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from mmwidth.datasets.digits_detection import NUM_IMAGES, DigitsCocoDataset, cache_folder
from mmwidth.utils.errors import ConfigError

CANVAS = 48
DIGIT_SIZES = (12, 20)


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    return tmp_path_factory.mktemp('digits_coco')


def dataset(root, split, **kwargs):
    return DigitsCocoDataset(split=split, canvas_size=CANVAS, digit_sizes=DIGIT_SIZES, data_root=str(root),
                             pipeline=[], **kwargs)


def test_written_once_deterministically_and_read_by_coco_dataset(root):
    train = dataset(root, 'train')
    folder = cache_folder(str(root), CANVAS, DIGIT_SIZES)
    annotations = (root / folder / 'annotations' / 'train.json').read_text()
    assert len(train) == NUM_IMAGES['train'] and len(dataset(root, 'test', test_mode=True)) == NUM_IMAGES['test']
    labels = []
    for index in range(len(train)):
        info = train.get_data_info(index)
        assert (info['height'], info['width']) == (CANVAS, CANVAS) and 1 <= len(info['instances']) <= 3
        boxes = np.array([instance['bbox'] for instance in info['instances']])
        assert (boxes[:, :2] >= 0).all() and (boxes[:, 2:] <= CANVAS).all()
        assert (boxes[:, 2:] - boxes[:, :2] >= 4).all()
        labels += [instance['bbox_label'] for instance in info['instances']]
    assert sorted(set(labels)) == list(range(10))
    shutil.rmtree(folder)  # regenerated when missing, to the same files
    dataset(root, 'train')
    assert (root / folder / 'annotations' / 'train.json').read_text() == annotations


def perfect_predictions(data: DigitsCocoDataset, ground_truth_in_samples: bool):
    samples = []
    for index in range(len(data)):
        info = data.get_data_info(index)
        predictions = InstanceData(bboxes=torch.tensor([i['bbox'] for i in info['instances']], dtype=torch.float32),
                                   labels=torch.tensor([i['bbox_label'] for i in info['instances']]),
                                   scores=torch.ones(len(info['instances'])))
        meta = dict(img_id=info['img_id'], ori_shape=(CANVAS, CANVAS))
        if ground_truth_in_samples:
            meta['instances'] = info['instances']
        samples.append(DetDataSample(metainfo=meta, pred_instances=predictions).to_dict())
    return samples


@pytest.mark.parametrize('ground_truth_in_samples', [False, True])
def test_coco_metric_scores_perfect_boxes_one_and_shifted_boxes_less(root, ground_truth_in_samples):
    test = dataset(root, 'test', test_mode=True)
    ann_file = None if ground_truth_in_samples else \
        str(root / cache_folder(str(root), CANVAS, DIGIT_SIZES) / 'annotations' / 'test.json')
    for shift, expected in ((0, 1.0), (3, None)):
        metric = CocoMetric(ann_file=ann_file, metric='bbox')
        metric.dataset_meta = test.metainfo
        samples = perfect_predictions(test, ground_truth_in_samples)
        for sample in samples:
            sample['pred_instances']['bboxes'] += shift
        metric.process({}, samples)
        box_map = metric.evaluate(len(samples))['coco/bbox_mAP']
        if expected is not None:
            assert box_map == pytest.approx(expected)
        else:
            assert box_map < 0.9


def test_bad_arguments_fail_with_one_line(root):
    with pytest.raises(ConfigError, match='split must be one of'):
        dataset(root, 'val')
    with pytest.raises(ConfigError, match='drop ann_file'):
        dataset(root, 'train', ann_file='x.json')
    with pytest.raises(ConfigError, match='digit_sizes'):
        DigitsCocoDataset(canvas_size=16, digit_sizes=(12, 20), data_root=str(root))
