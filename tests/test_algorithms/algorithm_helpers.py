"""Tiny width-search algorithms on the Channel-Bench-Macro ResNet space and a batch of random images."""
import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope, init_default_scope
from mmpretrain.structures import DataSample

from mmwidth.ground_truth.cbm_table import cbm_model_cfg
from mmwidth.registry import MODELS

INPUT_SHAPE = (3, 8, 8)


def build_algorithm(kind: str, arch: str = '1111111', seed: int = 0, width_space: dict = None, **kwargs):
    if DefaultScope.get_current_instance() is None:
        init_default_scope('mmwidth')
    space = dict(dict(input_shape=INPUT_SHAPE, bins=4), **(width_space or {}))
    torch.manual_seed(seed)  # the architecture's initial weights
    return MODELS.build(dict(type=f'mmwidth.{kind}', architecture=cbm_model_cfg('resnet', arch),
                             width_space=space, seed=seed, **kwargs)).train()


def batch(size: int = 4, seed: int = 0) -> dict:
    generator = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (size, ) + INPUT_SHAPE, generator=generator, dtype=torch.uint8)
    return dict(inputs=list(images), data_samples=[DataSample().set_gt_label(i % 10) for i in range(size)])


def sgd(algorithm, lr: float = 0.01) -> OptimWrapper:
    return OptimWrapper(torch.optim.SGD(algorithm.parameters(), lr=lr))
