"""A Channel-Bench-Macro-style ground truth on the embedded digits: architectures of the CBM ResNet space trained
stand-alone from scratch with one fixed recipe, and the metrics that say how well a supernet ranks them.

The recipe is deliberately hard (native 8x8 digits, a short schedule) so that the digits do not saturate and
architectures stay distinguishable; the supernets of ``benchmarks/supernet_ranking.py`` train on the same data
(:func:`digits_data_options`) so that their scores can be compared with the table.
"""
import itertools
import math
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from scipy import stats

from ..datasets.digits import DigitsDataset
from ..registry import MODELS
from ..space.width_space import WidthSpace
from ..utils.errors import WidthSearchError
from ..models.cbm_backbones import CBMResNet, arch_channels
from .cbm_table import DIGIT_GROUPS, all_archs, arch_to_subnet, cbm_model_cfg, closed_form


@dataclass(frozen=True)
class Recipe:
    """How every architecture of the table is trained (SGD with Nesterov momentum, linear warm-up then cosine).

    Args:
        image_size: side of the digits fed to the network (8 is their native size).
        padding: random shifts of up to this many pixels (``RandomCrop`` padding, zeros = the background).
        iterations / batch_size: the schedule's length in batches.
        lr / weight_decay / warmup: the optimizer and the warm-up length in iterations.
    """
    image_size: int = 8
    padding: int = 1
    iterations: int = 30
    batch_size: int = 32
    lr: float = 0.03
    weight_decay: float = 5e-4
    warmup: int = 3


def digits_data_options(image_size: int, padding: int) -> dict:
    """Dataset and preprocessor settings of the digits at ``image_size``: the pipelines and the pixel mean/std
    of the train split at that size (upsampling smooths the images and changes them)."""
    images, _ = DigitsDataset(split='train', image_size=image_size, lazy_init=True).load_split()
    mean, std = float(images[..., 0].mean()), float(images[..., 0].std())
    train_pipeline = [dict(type='mmpretrain.RandomCrop', crop_size=image_size, padding=padding),
                      dict(type='mmpretrain.PackInputs')]
    return dict(image_size=image_size, train_pipeline=train_pipeline,
                test_pipeline=[dict(type='mmpretrain.PackInputs')],
                data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor', num_classes=10, mean=[mean] * 3,
                                       std=[std] * 3, to_rgb=False))


def build_arch(arch: str, recipe: Recipe, data: Optional[dict] = None):
    """The plain mmpretrain classifier of one arch with the digits' preprocessor."""
    data = data or digits_data_options(recipe.image_size, recipe.padding)
    return MODELS.build(dict(cbm_model_cfg('resnet', arch), data_preprocessor=data['data_preprocessor']))


def train_arch(arch: str, seed: int, recipe: Recipe, device: str = 'cpu', data: Optional[dict] = None) -> float:
    """Trains ``arch`` from scratch on the train split and returns its test-split top-1 accuracy (%)."""
    data = data or digits_data_options(recipe.image_size, recipe.padding)
    torch.manual_seed(seed)
    np.random.seed(seed)  # mmpretrain's RandomCrop draws from numpy
    model = build_arch(arch, recipe, data).to(device)
    # not serialized: MMEngine's serialization runs two full garbage collections, seconds on a busy machine
    train = DigitsDataset(split='train', image_size=recipe.image_size, pipeline=data['train_pipeline'],
                          serialize_data=False)
    test = DigitsDataset(split='test', image_size=recipe.image_size, pipeline=data['test_pipeline'],
                         serialize_data=False)
    generator = torch.Generator().manual_seed(seed)
    loader = torch.utils.data.DataLoader(train, recipe.batch_size, shuffle=True, drop_last=True,
                                         collate_fn=pseudo_collate, generator=generator)
    optimizer = torch.optim.SGD(model.parameters(), lr=recipe.lr, momentum=0.9, nesterov=True,
                                weight_decay=recipe.weight_decay, foreach=True)

    def lr_factor(step: int) -> float:
        if step < recipe.warmup:
            return (step + 1) / recipe.warmup
        progress = (step - recipe.warmup) / max(1, recipe.iterations - recipe.warmup)
        return 0.5 * (1 + math.cos(math.pi * progress))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)
    model.train()
    batches = itertools.chain.from_iterable(itertools.repeat(loader))
    for batch in itertools.islice(batches, recipe.iterations):
        losses = model(**model.data_preprocessor(batch, True), mode='loss')
        optimizer.zero_grad()
        sum(losses.values()).backward()
        optimizer.step()
        scheduler.step()
    return evaluate(model, test, recipe.batch_size * 4)


@torch.no_grad()
def evaluate(model, dataset, batch_size: int) -> float:
    """Top-1 accuracy (%) of a classifier on a dataset."""
    model.eval()
    loader = torch.utils.data.DataLoader(dataset, batch_size, collate_fn=pseudo_collate)
    correct = 0
    for batch in loader:
        for sample in model(**model.data_preprocessor(batch, False), mode='predict'):
            correct += int(sample.pred_label.item() == sample.gt_label.item())
    return 100.0 * correct / len(dataset)


def closed_form_flops(arch: str, image_size: int) -> int:
    """The benchmark's closed-form FLOPs (at 32x32) brought to a square ``image_size`` input: the convs scale
    with the area, the classifier (10 x c4) does not."""
    classifier = 10 * arch_channels(arch, CBMResNet.MAX_CHANNELS)[4]
    return (closed_form('resnet', arch)[0] - classifier) * image_size**2 // 32**2 + classifier


def choose_archs(num_archs: int, image_size: int, seed: int = 0) -> List[str]:
    """``num_archs`` archs spread over the FLOPs range: the smallest and largest arch, plus one seeded choice
    from each of ``num_archs - 2`` strata of equal size of the archs sorted by FLOPs at ``image_size``."""
    if num_archs < 2:
        raise WidthSearchError(f'a table needs at least the 2 extreme archs, got num_archs={num_archs}')
    extremes = ('1111111', '4444444')
    inner = sorted((a for a in all_archs() if a not in extremes), 
                   key=lambda a: (closed_form_flops(a, image_size), a))
    rng = np.random.default_rng(seed)
    chosen = [str(rng.choice(stratum)) for stratum in np.array_split(np.array(inner), num_archs - 2)]
    # strata interleaved (every 4th first), so that the first archs of the list already span the range
    return list(extremes) + [arch for start in range(4) for arch in chosen[start::4]]


def arch_costs(archs: Sequence[str], image_size: int) -> Dict[str, Dict[str, int]]:
    """FLOPs (MACs of conv and linear layers) and params of archs at a square ``image_size`` input, from the
    traced width space of the supernet."""
    supernet = MODELS.build(cbm_model_cfg('resnet'))
    space = WidthSpace.from_model(supernet, (3, image_size, image_size), ratios=(0.25, 0.5, 0.75, 1.0))
    widths = np.array([[arch_to_subnet('resnet', a)[name] for name in DIGIT_GROUPS['resnet']] for a in archs])
    if tuple(space.names) != DIGIT_GROUPS['resnet']:
        raise WidthSearchError(f'the traced ResNet space has groups {space.names}')
    costs = space.estimator.batch(widths)
    return {a: dict(flops=int(f), params=int(p)) for a, f, p in zip(archs, costs['flops'], costs['params'])}


def table_record(accuracies: Sequence[float], flops: int, params: int) -> dict:
    """One arch's entry in Channel-Bench-Macro's format (``std`` with ``ddof=1``, 0 for a single run)."""
    acc = [float(a) for a in accuracies]
    std = float(np.std(acc, ddof=1)) if len(acc) > 1 else 0.0
    return dict(acc=acc, mean=float(np.mean(acc)), std=std, flops=int(flops), params=int(params))


# ------------------------------------------------------------------------------------------------------ metrics
def seed_to_seed_tau(table: Mapping[str, dict]) -> float:
    """Mean Kendall tau between the accuracies of every pair of seeds over the archs trained with both: how
    well one training ranks the archs like another, the ceiling of any supernet's ranking."""
    runs = min(len(record['acc']) for record in table.values())
    if runs < 2:
        raise WidthSearchError('the seed-to-seed tau needs at least 2 runs of every arch')
    accs = np.array([record['acc'][:runs] for record in table.values()])
    return float(np.mean([stats.kendalltau(accs[:, i], accs[:, j])[0]
                          for i, j in itertools.combinations(range(runs), 2)]))


def top1_regret(table: Mapping[str, dict], scores: Mapping[str, float], fraction: float) -> float:
    """Best true ``mean`` among the archs within ``fraction`` of the largest FLOPs, minus the true ``mean`` of
    the arch the scores rank first within that budget (ties: the first in the table's order)."""
    limit = fraction * max(record['flops'] for record in table.values())
    in_budget = [arch for arch, record in table.items() if record['flops'] <= limit]
    if not in_budget:
        raise WidthSearchError(f'no arch of the table within {fraction:.0%} of the largest FLOPs')
    pick = max(in_budget, key=lambda arch: scores[arch])
    return max(table[arch]['mean'] for arch in in_budget) - table[pick]['mean']


def ranking_metrics(table: Mapping[str, dict], scores: Mapping[str, float],
                    fractions: Sequence[float] = (0.25, 0.5)) -> dict:
    """Kendall tau and Spearman rho of ``scores`` against the table's ``mean`` and the top-1 regrets."""
    archs = list(table)
    true = [table[a]['mean'] for a in archs]
    predicted = [scores[a] for a in archs]
    row = dict(kendall_tau=float(stats.kendalltau(true, predicted)[0]),
               spearman=float(stats.spearmanr(true, predicted)[0]))
    row.update({f'regret_{round(f * 100)}': float(top1_regret(table, scores, f)) for f in fractions})
    return row

