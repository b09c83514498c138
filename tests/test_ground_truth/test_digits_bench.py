"""The digits ground-truth table and the ranking metrics of benchmarks/supernet_ranking.py."""
import json
from pathlib import Path

import numpy as np
import pytest

from mmwidth.ground_truth.cbm_table import load_cbm_table
from mmwidth.ground_truth.digits_bench import (arch_costs, choose_archs, ranking_metrics, seed_to_seed_tau,
                                             table_record, top1_regret)
from mmwidth.utils.errors import WidthSearchError

TABLE = Path(__file__).resolve().parents[2] / 'benchmarks' / 'data' / 'digits_cbm-resnet.json'


def synthetic_table():
    # flops 10..40, true means 70, 80, 75, 90: within 25% of 40 (<= 10) only arch A, within 50% (<= 20) A and B
    return {
        '1111111': table_record([70.0, 70.0], 10, 1),
        '2222222': table_record([79.0, 81.0], 20, 2),
        '3333333': table_record([75.0, 75.0], 30, 3),
        '4444444': table_record([90.0, 90.0], 40, 4),
    }


def test_record_in_channel_bench_macro_format():
    record = table_record([79.0, 81.0], 20, 2)
    assert record == dict(acc=[79.0, 81.0], mean=80.0, std=pytest.approx(np.sqrt(2.0)), flops=20, params=2)


def test_rank_metrics_and_regret_on_known_answers():
    table = synthetic_table()
    perfect = {arch: record['mean'] for arch, record in table.items()}
    row = ranking_metrics(table, perfect)
    assert row == dict(kendall_tau=pytest.approx(1.0), spearman=pytest.approx(1.0), regret_25=0.0, regret_50=0.0)
    reversed_scores = {arch: -score for arch, score in perfect.items()}
    row = ranking_metrics(table, reversed_scores)
    assert row['kendall_tau'] == pytest.approx(-1.0) and row['spearman'] == pytest.approx(-1.0)
    assert row['regret_25'] == 0.0  # a single arch in budget: nothing to get wrong
    assert row['regret_50'] == pytest.approx(10.0)  # picks A (70) over B (80)
    # a scorer that is right except for swapping B and C: tau = (5 - 1) / 6
    swapped = dict(perfect, **{'2222222': 75.0, '3333333': 80.0})
    assert ranking_metrics(table, swapped)['kendall_tau'] == pytest.approx(4 / 6)
    with pytest.raises(WidthSearchError, match='no arch'):
        top1_regret(table, perfect, 0.1)


def test_seed_to_seed_tau():
    table = synthetic_table()
    # the runs of every arch: seed 0 ranks 70 < 75 < 79 < 90, seed 1 70 < 75 < 81 < 90
    assert seed_to_seed_tau(table) == pytest.approx(1.0)
    table['3333333'] = table_record([85.0, 60.0], 30, 3)
    assert seed_to_seed_tau(table) == pytest.approx((4 - 2) / 6)
    with pytest.raises(WidthSearchError, match='2 runs'):
        seed_to_seed_tau({'1111111': table_record([70.0], 10, 1)})


def test_choose_archs_spans_the_flops_range():
    archs = choose_archs(10, image_size=8, seed=0)
    assert len(set(archs)) == 10 and {'1111111', '4444444'} <= set(archs)
    flops = sorted(cost['flops'] for cost in arch_costs(archs, 8).values())
    largest = flops[-1]
    # one arch per tenth-ish of the sorted space: the inner archs fill the range, not one end of it
    assert flops[1] < 0.25 * largest and flops[-2] > 0.5 * largest
    assert choose_archs(10, image_size=8, seed=0) == archs


def test_shipped_table_format_costs_and_tau():
    table = load_cbm_table(str(TABLE))
    meta = json.loads(TABLE.with_suffix('').with_suffix('.meta.json').read_text())
    recipe = meta['recipe']
    assert set(table) <= set(choose_archs(64, recipe['image_size']))  # the script's stratified choice
    for record in table.values():
        assert record['mean'] == pytest.approx(np.mean(record['acc']))
        assert record['std'] == pytest.approx(np.std(record['acc'], ddof=1) if len(record['acc']) > 1 else 0.0)
    costs = arch_costs(list(table), recipe['image_size'])
    assert all(table[arch]['flops'] == cost['flops'] and table[arch]['params'] == cost['params']
               for arch, cost in costs.items())
    trained_twice = {arch: record for arch, record in table.items() if len(record['acc']) >= 2}
    assert seed_to_seed_tau(trained_twice) >= 0.3
    assert meta['seed_to_seed_tau'] == pytest.approx(seed_to_seed_tau(trained_twice))


def test_shipped_table_is_complete():
    """Issue 12's table: at least 64 archs, the extremes included, each trained with at least 2 seeds."""
    table = load_cbm_table(str(TABLE))
    assert len(table) >= 64 and {'1111111', '4444444'} <= set(table)
    assert all(len(record['acc']) >= 2 for record in table.values())
