"""How well scores rank the archs of a ground-truth table, and the statistics that say whether a table measures
capacity: Kendall tau / Spearman rho against the table, tau within FLOPs bands, top-1 regret at a budget, and the
table's own seed-to-seed tau (the ceiling of any ranking).

A table maps a 7-digit arch to ``{"acc": [one accuracy per seed], "mean", "std", "flops", "params"}``, the
format of Channel-Bench-Macro.
"""
import itertools
from typing import Dict, List, Mapping, Sequence

import numpy as np
from scipy import stats

from ..utils.errors import WidthSearchError


def table_record(accuracies: Sequence[float], flops: int, params: int) -> dict:
    """One arch's entry in Channel-Bench-Macro's format (``std`` with ``ddof=1``, 0 for a single run)."""
    acc = [float(a) for a in accuracies]
    std = float(np.std(acc, ddof=1)) if len(acc) > 1 else 0.0
    return dict(acc=acc, mean=float(np.mean(acc)), std=std, flops=int(flops), params=int(params))


def kendall_tau(first: Sequence[float], second: Sequence[float]) -> float:
    """Kendall's tau-b; 0 where either side is constant (no order to agree with)."""
    tau = stats.kendalltau(first, second)[0]
    return 0.0 if np.isnan(tau) else float(tau)


def flops_bands(table: Mapping[str, dict], bands: int = 4) -> List[List[str]]:
    """The archs in each of ``bands`` equal-width FLOPs intervals between the table's smallest and largest arch,
    the bands a search at a budget chooses within."""
    flops = {arch: record['flops'] for arch, record in table.items()}
    edges = np.linspace(min(flops.values()), max(flops.values()), bands + 1)
    # interior edges only: the largest arch falls into the last band
    index = {arch: int(np.searchsorted(edges[1:-1], value, side='right')) for arch, value in flops.items()}
    return [[arch for arch in table if index[arch] == band] for band in range(bands)]


def within_band_tau(table: Mapping[str, dict], scores: Mapping[str, float], bands: int = 4) -> float:
    """Mean over the FLOPs bands of Kendall tau between ``scores`` and the table's ``mean`` inside the band:
    what a search at a budget relies on once the wide-above-narrow order, which every supernet gets, is taken
    out. Bands with fewer than 2 archs are skipped."""
    taus = [kendall_tau([table[a]['mean'] for a in band], [scores[a] for a in band])
            for band in flops_bands(table, bands) if len(band) >= 2]
    if not taus:
        raise WidthSearchError('no FLOPs band holds 2 archs')
    return float(np.mean(taus))


def seed_runs(table: Mapping[str, dict]) -> np.ndarray:
    """(archs, seeds) accuracies of the seeds every arch has."""
    runs = min(len(record['acc']) for record in table.values())
    if runs < 2:
        raise WidthSearchError('a seed-to-seed statistic needs at least 2 runs of every arch')
    return np.array([record['acc'][:runs] for record in table.values()])


def seed_to_seed_tau(table: Mapping[str, dict]) -> float:
    """Mean Kendall tau between the accuracies of every pair of seeds: how well one training ranks the archs
    like another, the ceiling of any supernet's ranking."""
    accs = seed_runs(table)
    return float(np.mean([kendall_tau(accs[:, i], accs[:, j])
                          for i, j in itertools.combinations(range(accs.shape[1]), 2)]))


def seed_to_seed_within_band_tau(table: Mapping[str, dict], bands: int = 4) -> float:
    """The within-band tau of one seed's accuracies against another's, averaged over seed pairs: the ceiling of
    :func:`within_band_tau`."""
    accs = dict(zip(table, seed_runs(table)))
    taus = []
    for band in flops_bands(table, bands):
        if len(band) >= 2:
            runs = np.array([accs[a] for a in band])
            taus += [kendall_tau(runs[:, i], runs[:, j]) for i, j in itertools.combinations(range(runs.shape[1]), 2)]
    return float(np.mean(taus))


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
                    fractions: Sequence[float] = (0.25, 0.5), bands: int = 4) -> Dict[str, float]:
    """Kendall tau, Spearman rho and the within-band tau of ``scores`` against the table's ``mean``, and the
    top-1 regrets at ``fractions`` of the largest FLOPs."""
    archs = list(table)
    true = [table[a]['mean'] for a in archs]
    predicted = [scores[a] for a in archs]
    row = dict(kendall_tau=kendall_tau(true, predicted), spearman=float(stats.spearmanr(true, predicted)[0]),
               within_band_tau=within_band_tau(table, scores, bands))
    row.update({f'regret_{round(f * 100)}': float(top1_regret(table, scores, f)) for f in fractions})
    return row


def table_statistics(table: Mapping[str, dict], bands: int = 4) -> Dict[str, float]:
    """Whether a table measures capacity, computed from its rows: Kendall tau of mean accuracy against FLOPs,
    the seed-to-seed taus (overall and within bands), the accuracy range, and its size."""
    archs = list(table)
    means = [table[a]['mean'] for a in archs]
    return dict(archs=len(archs), min_seeds=min(len(table[a]['acc']) for a in archs),
                tau_mean_vs_flops=kendall_tau(means, [table[a]['flops'] for a in archs]),
                seed_to_seed_tau=seed_to_seed_tau(table),
                seed_to_seed_within_band_tau=seed_to_seed_within_band_tau(table, bands),
                accuracy_min=float(min(means)), accuracy_max=float(max(means)),
                accuracy_range=float(max(means) - min(means)))
