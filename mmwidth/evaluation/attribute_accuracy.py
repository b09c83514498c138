"""The face-attribute papers' metric: the binary accuracy of each attribute, averaged over the attributes."""
from typing import List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from ..registry import METRICS


def attribute_accuracies(predicted: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Per attribute, the percentage of images whose (N, attributes) bool prediction matches the truth."""
    return 100 * (predicted == truth).mean(axis=0)


def majority_vote_accuracy(train: np.ndarray, test: np.ndarray) -> float:
    """Mean attribute accuracy (%) on ``test`` of the trivial predictor that gives every image each attribute's
    majority value in ``train`` (both (N, attributes) bool): what a model must beat."""
    majority = np.broadcast_to(train.mean(axis=0) >= 0.5, test.shape)
    return float(attribute_accuracies(majority, test).mean())


@METRICS.register_module()
class AttributeAccuracy(BaseMetric):
    """Mean over the attributes of the binary accuracy (%) of ``pred_score >= thr`` (the sigmoid scores of
    mmpretrain's multi-label heads), the number the CelebA papers report, and its complement ``mean_error``.

    Args:
        thr: the score above which an attribute is predicted present.
        log_table: log the accuracy of every attribute after each evaluation (set it in ``test_evaluator``: a
            search evaluates its candidates with ``val_evaluator``, whose tables would flood the log).
        collect_device / prefix: as in :class:`mmengine.evaluator.BaseMetric` (keys ``attributes/...``).
    """
    default_prefix = 'attributes'

    def __init__(self, thr: float = 0.5, log_table: bool = False, collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.thr = thr
        self.log_table = log_table

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            score = sample['pred_score'].cpu()
            truth = np.zeros(len(score), dtype=bool)
            truth[sample['gt_label'].cpu().numpy()] = True
            self.results.append((score.numpy() >= self.thr, truth))

    def compute_metrics(self, results: List) -> dict:
        predicted, truth = (np.stack(part) for part in zip(*results))
        per_attribute = attribute_accuracies(predicted, truth)
        mean = float(per_attribute.mean())
        if self.log_table:
            self.log_attribute_table(per_attribute, truth.mean(axis=0))
        return dict(mean_accuracy=mean, mean_error=100 - mean)

    def log_attribute_table(self, accuracies: np.ndarray, positive: np.ndarray) -> None:
        names = (self.dataset_meta or {}).get('classes') or [str(i) for i in range(len(accuracies))]
        width = max(len(name) for name in names)
        lines = [f'{"attribute":<{width}}  accuracy (%)  positive (%)']
        lines += [f'{name:<{width}}  {accuracy:>12.2f}  {100 * share:>12.2f}'
                  for name, accuracy, share in zip(names, accuracies, positive)]
        lines.append(f'{"mean":<{width}}  {accuracies.mean():>12.2f}')
        MMLogger.get_current_instance().info('attribute accuracies:\n' + '\n'.join(lines))
