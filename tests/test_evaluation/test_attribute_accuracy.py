"""mmwidth.AttributeAccuracy: the mean over attributes of the binary accuracy at 0.5, its table, and the
majority-vote baseline."""
import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from mmwidth.evaluation import majority_vote_accuracy
from mmwidth.registry import METRICS


def samples(scores, labels):
    return [DataSample().set_pred_score(torch.tensor(s)).set_gt_label(l).to_dict() for s, l in zip(scores, labels)]


def test_mean_of_per_attribute_accuracies():
    init_default_scope('mmwidth')
    metric = METRICS.build(dict(type='mmwidth.AttributeAccuracy'))
    metric.dataset_meta = dict(classes=('Smiling', 'Male', 'Young'))
    scores = [[0.9, 0.2, 0.5], [0.1, 0.7, 0.49], [0.6, 0.6, 0.8], [0.4, 0.1, 0.3]]
    labels = [[0, 2], [1], [1], [2]]
    metric.process(None, samples(scores[:2], labels[:2]))  # two batches
    metric.process(None, samples(scores[2:], labels[2:]))
    # predictions (score >= 0.5): [1,0,1] [0,1,0] [1,1,1] [0,0,0]; truth: [1,0,1] [0,1,0] [0,1,0] [0,0,1]
    # per attribute: Smiling 3/4, Male 4/4, Young 2/4 -> mean 75%
    result = metric.evaluate(4)
    assert result == pytest.approx({'attributes/mean_accuracy': 75.0, 'attributes/mean_error': 25.0})


def test_table_is_logged_when_asked(capsys):
    init_default_scope('mmwidth')
    MMLogger.get_instance('attribute_table_test')
    metric = METRICS.build(dict(type='mmwidth.AttributeAccuracy', log_table=True, prefix='val'))
    metric.dataset_meta = dict(classes=('Smiling', 'Wearing_Hat'))
    metric.process(None, samples([[0.9, 0.9], [0.2, 0.9]], [[0], []]))
    assert metric.evaluate(2) == pytest.approx({'val/mean_accuracy': 50.0, 'val/mean_error': 50.0})
    logged = capsys.readouterr().out
    assert 'Smiling' in logged and '100.00' in logged and 'Wearing_Hat' in logged and '0.00' in logged


def test_majority_vote_baseline():
    train = np.array([[1, 0, 1], [1, 0, 0], [0, 0, 1]], dtype=bool)  # majority: 1, 0, 1
    test = np.array([[1, 1, 1], [0, 0, 1]], dtype=bool)
    assert majority_vote_accuracy(train, test) == pytest.approx(100 * (1 / 2 + 1 / 2 + 2 / 2) / 3)
