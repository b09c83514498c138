"""Stand-alone training of one subnet with a ground truth's fixed recipe: how a table's archs, and the subnets a
search picks or a uniform shrink gives, are trained from scratch and tested.

The recipe trains on :class:`~mmwidth.datasets.DigitPairs` (two digits side by side, 100 classes), on which
the Channel-Bench-Macro ResNet macro structure at a fraction of its channels is limited by its width. Each
subnet is the exported, freshly initialised model (``mmwidth.SlimmedModel``) of the scaled-down supernet, i.e.
exactly the model a user retrains after a search. Training runs on tensors held in memory (the dataset's images
read once, normalised as the configs' ``ClsDataPreprocessor`` does, shifted as mmpretrain's ``RandomCrop`` with
zero padding does), so that a table of hundreds of runs fits in a few CPU-hours.
"""
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Dict, Mapping, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from ..datasets.digit_pairs import DISTORTION, DigitPairs
from ..registry import MODELS
from .cbm_table import arch_to_subnet, cbm_model_cfg


@dataclass(frozen=True)
class Recipe:
    """How every subnet of a ground truth is trained (SGD with Nesterov momentum, linear warm-up then cosine).

    Args:
        max_channels: the 7 maxima of the scaled-down Channel-Bench-Macro ResNet space (digit d keeps d/4).
        image_size: height of the pair images (width twice that).
        padding: random shifts of up to this many pixels, zero (background) filled.
        iterations / batch_size: the schedule's length in batches.
        lr / weight_decay / warmup: the optimizer and the warm-up length in iterations.
    """
    max_channels: Tuple[int, ...] = (8, 8, 8, 16, 16, 16, 16)
    image_size: int = 16
    padding: int = 1
    iterations: int = 1600
    batch_size: int = 64
    lr: float = 0.1
    weight_decay: float = 5e-4
    warmup: int = 20
    num_classes: int = field(default=100, init=False)

    @property
    def input_shape(self) -> Tuple[int, int, int]:
        return (3, self.image_size, 2 * self.image_size)

    def to_dict(self) -> dict:
        return dict(asdict(self), max_channels=list(self.max_channels))

    @classmethod
    def from_dict(cls, values: Mapping) -> 'Recipe':
        values = {k: v for k, v in values.items() if k != 'num_classes'}
        return cls(**dict(values, max_channels=tuple(values['max_channels'])))

    def supernet_cfg(self) -> dict:
        """The classifier config of the all-4 supernet of the scaled-down space."""
        return cbm_model_cfg('resnet', num_classes=self.num_classes, max_channels=self.max_channels)

    def arch_subnet(self, arch: str) -> Dict[str, int]:
        """group name -> channels of a 7-digit arch."""
        return arch_to_subnet('resnet', arch, self.max_channels)

    def lr_factor(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / self.warmup
        progress = (step - self.warmup) / max(1, self.iterations - self.warmup)
        return 0.5 * (1 + math.cos(math.pi * progress))


class PairTensors:
    """The train and test splits of :class:`DigitPairs` as normalised 1-channel tensors, read once per process.

    ``mean``/``std`` are the train split's pixel statistics in 0..255 units: the configs' data preprocessor
    uses the same numbers, so a supernet trained by the runner sees the same inputs as the recipe.
    """

    def __init__(self, image_size: int, distortion: Optional[dict] = DISTORTION, splits=('train', 'test'),
                 device: str = 'cpu'):
        arrays = {split: DigitPairs(split=split, image_size=image_size, distortion=distortion,
                                    lazy_init=True).load_split() for split in splits}
        train_pixels = arrays['train'][0][..., 0].astype(np.float64)
        self.mean, self.std = float(train_pixels.mean()), float(train_pixels.std())
        self.images = {split: (torch.from_numpy(images[..., 0]).float().unsqueeze(1).to(device) - self.mean) /
                       self.std for split, (images, _) in arrays.items()}
        self.labels = {split: torch.from_numpy(labels).long().to(device) for split, (_, labels) in arrays.items()}
        self.device = device

    def shifted_batch(self, padded: torch.Tensor, indices: torch.Tensor, generator: torch.Generator,
                      padding: int) -> torch.Tensor:
        """The images ``indices`` of a padded split, each cropped back at its own random offset (as
        ``RandomCrop(padding=p)`` does), replicated to 3 channels."""
        height, width = padded.shape[2] - 2 * padding, padded.shape[3] - 2 * padding
        offsets = torch.randint(0, 2 * padding + 1, (2, len(indices)), generator=generator).to(self.device)
        rows = (offsets[0, :, None] + torch.arange(height, device=self.device))[:, :, None]
        cols = (offsets[1, :, None] + torch.arange(width, device=self.device))[:, None, :]
        crops = padded[indices, 0][torch.arange(len(indices), device=self.device)[:, None, None], rows, cols]
        return crops.unsqueeze(1).expand(-1, 3, -1, -1).contiguous()

    def padded(self, split: str, padding: int) -> torch.Tensor:
        """The split padded with the normalised value of a zero pixel (the digits' background)."""
        return F.pad(self.images[split], (padding, ) * 4, value=-self.mean / self.std)


def build_subnet(recipe: Recipe, channels: Mapping[str, int]) -> torch.nn.Module:
    """The exported model of ``channels`` (group name -> width), freshly initialised."""
    return MODELS.build(dict(type='mmwidth.SlimmedModel', architecture=recipe.supernet_cfg(), channels=dict(channels),
                             width_space=dict(input_shape=recipe.input_shape)))


def train_subnet(recipe: Recipe, channels: Mapping[str, int], seed: int, data: PairTensors,
                 weights: Optional[Mapping[str, torch.Tensor]] = None) -> dict:
    """Trains a subnet on the train split, from scratch or, to fine-tune a pruned or shrunk model, from
    ``weights`` (the state dict of the exported model of ``channels``); returns its test top-1 (%) and the wall
    and CPU seconds the run took."""
    start, cpu_start = time.time(), time.process_time()
    torch.manual_seed(seed)
    model = build_subnet(recipe, channels)
    if weights is not None:
        model.load_state_dict(weights, strict=True)
    fit(model.to(data.device), recipe, seed, data)
    return dict(accuracy=evaluate(model, data.images['test'], data.labels['test']),
                seconds=round(time.time() - start, 2), cpu_seconds=round(time.process_time() - cpu_start, 2))


def fit(model: torch.nn.Module, recipe: Recipe, seed: int, data: PairTensors) -> None:
    """Trains ``model`` in place with the recipe's schedule on shifted batches of the train split drawn with
    ``seed``."""
    optimizer = torch.optim.SGD(model.parameters(), lr=recipe.lr, momentum=0.9, nesterov=True,
                                weight_decay=recipe.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, recipe.lr_factor)
    generator = torch.Generator().manual_seed(seed)
    padded, labels = data.padded('train', recipe.padding), data.labels['train']
    model.train()
    for _ in range(recipe.iterations):
        indices = torch.randint(0, len(labels), (recipe.batch_size, ), generator=generator).to(data.device)
        inputs = data.shifted_batch(padded, indices, generator, recipe.padding)
        loss = F.cross_entropy(model(inputs, mode='tensor'), labels[indices])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()


@torch.no_grad()
def evaluate(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000) -> float:
    """Top-1 accuracy (%) of a classifier on 1-channel normalised images."""
    model.eval()
    correct = 0
    for start in range(0, len(labels), batch_size):
        batch = images[start:start + batch_size].expand(-1, 3, -1, -1)
        correct += int((model(batch, mode='tensor').argmax(1) == labels[start:start + batch_size]).sum())
    return 100.0 * correct / len(labels)
