"""The shipped capacity-sensitive ground truth (benchmarks/data/digit-pairs_cbm-resnet-8-16.json): its archs, costs
and statistics recomputed from its rows, and the recipe that made it."""
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from mmwidth.datasets.digit_pairs import DISTORTION
from mmwidth.ground_truth.cbm_table import cbm_model_cfg, load_cbm_table
from mmwidth.ground_truth.ranking import table_statistics
from mmwidth.ground_truth.standalone import PairTensors, Recipe, build_subnet, evaluate, fit, train_subnet
from mmwidth.ground_truth.table_archs import arch_costs, choose_archs, recipe_space
from mmwidth.utils.errors import ConfigError

TABLE = Path(__file__).resolve().parents[2] / 'benchmarks' / 'data' / 'digit-pairs_cbm-resnet-8-16.json'


@pytest.fixture(scope='module')
def shipped():
    meta = json.loads(TABLE.with_suffix('').with_suffix('.meta.json').read_text())
    return load_cbm_table(str(TABLE)), meta, Recipe.from_dict(meta['recipe'])


def test_choose_archs_spans_the_flops_range():
    recipe = Recipe()
    archs = choose_archs(recipe, 10, seed=0)
    assert len(set(archs)) == 10 and {'1111111', '4444444'} <= set(archs)
    flops = sorted(cost['flops'] for cost in arch_costs(recipe, archs).values())
    steps = np.diff(flops) / (flops[-1] - flops[0])
    assert steps.max() < 0.2  # evenly spaced: 9 steps of about 1/9 each, none a gap
    assert choose_archs(recipe, 10, seed=0) == archs


def test_shipped_table_rows_costs_and_statistics(shipped):
    table, meta, recipe = shipped
    assert recipe == Recipe() and meta['distortion'] == DISTORTION  # made with the defaults the code ships
    assert set(table) <= set(choose_archs(recipe, 256))  # the script's even spread over FLOPs
    for arch, record in table.items():
        assert record['mean'] == pytest.approx(np.mean(record['acc']))
        runs = [meta['runs'][f'{arch}/{seed}']['accuracy'] for seed in range(len(record['acc']))]
        assert record['acc'] == runs
    costs = arch_costs(recipe, list(table))
    assert all(table[arch]['flops'] == cost['flops'] and table[arch]['params'] == cost['params']
               for arch, cost in costs.items())
    recomputed = table_statistics({a: r for a, r in table.items() if len(r['acc']) >= 2})
    assert recomputed == pytest.approx(meta['statistics'])


@pytest.fixture(scope='module')
def pairs():
    return PairTensors(Recipe().image_size)


def test_recipe_schedule_and_learning(pairs):
    recipe = Recipe(iterations=120, warmup=20)
    assert recipe.lr_factor(0) == pytest.approx(1 / 20) and recipe.lr_factor(19) == pytest.approx(1.0)
    assert recipe.lr_factor(70) == pytest.approx(0.5) and recipe.lr_factor(119) < 0.01
    data = pairs
    result = train_subnet(recipe, recipe.arch_subnet('4444444'), 0, data)
    assert result['accuracy'] > 10  # chance is 1% on 100 classes
    assert train_subnet(recipe, recipe.arch_subnet('4444444'), 0, data)['accuracy'] == result['accuracy']


def test_fine_tuning_starts_from_the_given_weights(pairs):
    """A pruned model is fine-tuned from its inherited weights, not from a fresh initialisation."""
    recipe = Recipe(iterations=120, warmup=20)
    channels = recipe.arch_subnet('4444444')
    torch.manual_seed(0)
    model = build_subnet(recipe, channels)
    fit(model, recipe, 0, pairs)
    trained = evaluate(model, pairs.images['test'], pairs.labels['test'])
    untrained = dataclasses.replace(recipe, iterations=0)
    assert trained > 10
    assert train_subnet(untrained, channels, 1, pairs, weights=model.state_dict())['accuracy'] == trained
    assert train_subnet(untrained, channels, 1, pairs)['accuracy'] < 5  # chance is 1%


def test_scaled_space_has_the_given_maxima_and_refuses_others():
    recipe = Recipe()
    space = recipe_space(recipe)
    assert tuple(space.channels(name) for name in space.names) == recipe.max_channels
    assert recipe.arch_subnet('1234123') == dict(zip(space.names, (2, 4, 6, 16, 4, 8, 12)))
    for bad in ([8] * 6, [8, 8, 8, 16, 16, 16, 18], [0, 8, 8, 16, 16, 16, 16]):
        with pytest.raises(ConfigError, match='max_channels must be 7 positive multiples of 4'):
            cbm_model_cfg('resnet', max_channels=bad)
