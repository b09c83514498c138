"""Which archs a ground-truth table holds and what they cost: FLOPs and params of the scaled-down Channel-Bench-Macro
ResNet space at the recipe's input, and a choice of archs spread evenly over its FLOPs range."""
from typing import Dict, List, Sequence

import numpy as np

from ..registry import MODELS
from ..space.width_space import WidthSpace
from ..utils.errors import WidthSearchError
from .cbm_table import DIGIT_GROUPS, RATIOS, all_archs
from .standalone import Recipe

EXTREMES = ('1111111', '4444444')


def recipe_space(recipe: Recipe) -> WidthSpace:
    """The traced width space of the recipe's supernet at its input: the 7 groups, 4 choices each."""
    space = WidthSpace.from_model(MODELS.build(recipe.supernet_cfg()), recipe.input_shape, ratios=RATIOS)
    if tuple(space.names) != DIGIT_GROUPS['resnet']:
        raise WidthSearchError(f'the traced ResNet space has groups {space.names}')
    return space


def arch_costs(recipe: Recipe, archs: Sequence[str]) -> Dict[str, Dict[str, int]]:
    """FLOPs (MACs of conv and linear layers) and params of archs at the recipe's input, from the traced width
    space (the estimator that budgets use)."""
    widths = np.array([[recipe.arch_subnet(a)[name] for name in DIGIT_GROUPS['resnet']] for a in archs])
    costs = recipe_space(recipe).estimator.batch(widths)
    return {a: dict(flops=int(f), params=int(p)) for a, f, p in zip(archs, costs['flops'], costs['params'])}


def choose_archs(recipe: Recipe, num_archs: int, seed: int = 0) -> List[str]:
    """``num_archs`` archs spread evenly over the FLOPs range: the smallest and the largest arch, and for each of
    ``num_archs - 2`` evenly spaced FLOPs values between them the unchosen arch nearest to it (ties broken by a
    seeded draw). Listed interleaved (every 4th first) so that the first archs of the list already span the
    range, as a partly built table does."""
    if num_archs < 2:
        raise WidthSearchError(f'a table needs at least the 2 extreme archs, got num_archs={num_archs}')
    inner = [a for a in all_archs() if a not in EXTREMES]
    flops = np.array([cost['flops'] for cost in arch_costs(recipe, inner).values()], dtype=np.float64)
    tie_break = np.random.default_rng(seed).random(len(inner))
    smallest, largest = (arch_costs(recipe, EXTREMES)[a]['flops'] for a in EXTREMES)
    taken = np.zeros(len(inner), dtype=bool)
    chosen = []
    for target in np.linspace(smallest, largest, num_archs)[1:-1]:
        distance = np.where(taken, np.inf, np.abs(flops - target))
        nearest = np.flatnonzero(distance == distance.min())
        pick = nearest[np.argmin(tie_break[nearest])]
        taken[pick] = True
        chosen.append(inner[pick])
    return list(EXTREMES) + [arch for start in range(4) for arch in chosen[start::4]]
