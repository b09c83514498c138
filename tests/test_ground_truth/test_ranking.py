"""The ranking metrics of benchmarks/supernet_ranking.py and the table statistics, on known answers."""
import numpy as np
import pytest

from mmwidth.ground_truth.ranking import (flops_bands, ranking_metrics, seed_to_seed_tau, table_record,
                                          table_statistics, top1_regret, within_band_tau)
from mmwidth.utils.errors import WidthSearchError


def synthetic_table():
    # flops 10, 20, 38, 40, true means 70, 80, 75, 90: within 25% of 40 (<= 10) only arch A, within 50% (<= 20) A and
    # B; in 4 FLOPs bands, C and D share the last
    return {
        '1111111': table_record([70.0, 70.0], 10, 1),
        '2222222': table_record([79.0, 81.0], 20, 2),
        '3333333': table_record([75.0, 75.0], 38, 3),
        '4444444': table_record([90.0, 90.0], 40, 4),
    }


def banded_table(archs_per_band: int = 16, seed: int = 0):
    """Archs in 4 FLOPs bands whose accuracy rises with FLOPs across bands and varies inside each band."""
    rng = np.random.default_rng(seed)
    table = {}
    for band in range(4):
        for i in range(archs_per_band):
            arch = ''.join(str(1 + d) for d in rng.integers(0, 4, 7))
            while arch in table:
                arch = ''.join(str(1 + d) for d in rng.integers(0, 4, 7))
            quality = rng.normal()
            table[arch] = table_record([80 + 3 * band + quality, 80 + 3 * band + quality + rng.normal(0, 0.1)],
                                       flops=100 * band + 10 + i, params=1)
    return table


def test_record_in_channel_bench_macro_format():
    record = table_record([79.0, 81.0], 20, 2)
    assert record == dict(acc=[79.0, 81.0], mean=80.0, std=pytest.approx(np.sqrt(2.0)), flops=20, params=2)


def test_rank_metrics_and_regret_on_known_answers():
    table = synthetic_table()
    perfect = {arch: record['mean'] for arch, record in table.items()}
    row = ranking_metrics(table, perfect)
    assert row == dict(kendall_tau=pytest.approx(1.0), spearman=pytest.approx(1.0),
                       within_band_tau=pytest.approx(1.0), regret_25=0.0, regret_50=0.0)
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


def test_shuffled_scores_lose_the_ranking():
    """A supernet whose scores are a permutation of the true accuracies ranks like chance; one that only
    knows FLOPs gets the overall order but nothing within a band."""
    table = banded_table()
    perfect = {arch: record['mean'] for arch, record in table.items()}
    assert ranking_metrics(table, perfect)['within_band_tau'] == pytest.approx(1.0)
    rng = np.random.default_rng(1)
    taus, band_taus = [], []
    for _ in range(20):
        shuffled = dict(zip(table, rng.permutation(list(perfect.values()))))
        row = ranking_metrics(table, shuffled)
        taus.append(row['kendall_tau'])
        band_taus.append(row['within_band_tau'])
    assert abs(np.mean(taus)) < 0.1 and abs(np.mean(band_taus)) < 0.1 and max(taus) < 0.5
    by_flops = {arch: record['flops'] for arch, record in table.items()}
    row = ranking_metrics(table, by_flops)
    # inside a band, FLOPs (the order of insertion) say nothing about the drawn quality
    assert row['kendall_tau'] > 0.6 and abs(row['within_band_tau']) < 0.35


def test_flops_bands_split_the_range_evenly():
    table = {f'{d}111111': table_record([50.0, 50.0], flops, 1) for d, flops in zip('1234', (0, 24, 26, 100))}
    table['1211111'] = table_record([50.0, 50.0], 75, 1)
    bands = flops_bands(table, 4)
    assert bands == [['1111111', '2111111'], ['3111111'], [], ['4111111', '1211111']]
    with pytest.raises(WidthSearchError, match='2 archs'):
        within_band_tau({'1111111': table['1111111']}, {'1111111': 1.0})


def test_seed_to_seed_tau():
    table = synthetic_table()
    # the runs of every arch: seed 0 ranks 70 < 75 < 79 < 90, seed 1 70 < 75 < 81 < 90
    assert seed_to_seed_tau(table) == pytest.approx(1.0)
    table['3333333'] = table_record([85.0, 60.0], 38, 3)
    assert seed_to_seed_tau(table) == pytest.approx((4 - 2) / 6)
    with pytest.raises(WidthSearchError, match='2 runs'):
        seed_to_seed_tau({'1111111': table_record([70.0], 10, 1)})


def test_table_statistics_from_rows():
    table = synthetic_table()
    stats = table_statistics(table)
    assert stats['archs'] == 4 and stats['min_seeds'] == 2
    assert stats['accuracy_range'] == pytest.approx(20.0)
    assert stats['tau_mean_vs_flops'] == pytest.approx(4 / 6)  # only B and C are out of FLOPs order
    assert stats['seed_to_seed_tau'] == pytest.approx(1.0)
