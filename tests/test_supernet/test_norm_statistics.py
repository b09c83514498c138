"""Batch-norm recalibration: cumulative statistics of the given batches, frozen norms left alone."""
import torch
from mmpretrain.models.backbones import ResNet_CIFAR
from torch import nn

from mmwidth.supernet.norm_statistics import preserved_norm_statistics, recalibrate_norm_statistics


def test_statistics_average_the_batches():
    norm = nn.BatchNorm2d(3)
    batches = [torch.randn(8, 3, 4, 4) * (i + 1) + i for i in range(3)]
    assert recalibrate_norm_statistics(norm, batches, norm) == 3
    means = torch.stack([b.mean(dim=(0, 2, 3)) for b in batches]).mean(0)
    variances = torch.stack([b.transpose(0, 1).flatten(1).var(1) for b in batches]).mean(0)
    torch.testing.assert_close(norm.running_mean, means)
    torch.testing.assert_close(norm.running_var, variances)
    assert norm.momentum == 0.1 and norm.training  # settings and mode restored


def test_norms_frozen_in_train_mode_keep_their_statistics():
    backbone = ResNet_CIFAR(depth=18, norm_eval=True)  # mmpretrain keeps its norms in eval mode when training
    before = backbone.norm1.running_mean.clone()
    recalibrate_norm_statistics(backbone, [torch.randn(2, 3, 8, 8)], backbone)
    torch.testing.assert_close(backbone.norm1.running_mean, before)


def test_preserved_statistics():
    norm = nn.BatchNorm2d(2).train()
    with preserved_norm_statistics(norm):
        norm(torch.randn(4, 2, 3, 3) + 5)
    assert (norm.running_mean == 0).all() and norm.num_batches_tracked == 0
