"""Pictures of a finished search: the scored population with its Pareto front, and the chosen widths."""
import os.path as osp
from typing import List

import numpy as np


def pareto_front(costs: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Indices of the candidates no other beats on both cost (FLOPs or latency: less) and score (higher), by
    cost."""
    order = np.lexsort((-scores, costs))
    front, best = [], -np.inf
    for i in order:
        if scores[i] > best:
            front.append(i)
            best = scores[i]
    return np.array(front, dtype=np.int64)


def plot_search(result: dict, budget, work_dir: str) -> List[str]:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    history = result['history']
    # drawn over the resource the budget limits: predicted latency under a latency limit, else FLOPs
    resource = 'latency' if 'latency' in budget.limits else 'flops'
    key, unit, label = dict(latency=('latency_ms', 1.0, 'predicted latency (ms)'),
                            flops=('flops', 1e6, 'FLOPs (M MACs)'))[resource]
    costs = np.array([e[key] for e in history], dtype=np.float64) / unit
    scores = np.array([e['score'] for e in history], dtype=np.float64)
    front = pareto_front(costs, scores)
    population = osp.join(work_dir, 'search_population.png')
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.scatter(costs, scores, s=12, alpha=0.5, label=f'evaluated ({len(history)})')
    ax.plot(costs[front], scores[front], '-o', color='tab:orange', markersize=4, label='Pareto front')
    if result['score'] is not None:
        chosen = result['latency_ms']['predicted'] if resource == 'latency' else result['flops'] / unit
        ax.scatter([chosen], [result['score']], marker='*', s=220, color='tab:red', zorder=5, label='chosen')
        if resource == 'latency':
            ax.scatter([result['latency_ms']['measured']], [result['score']], marker='x', s=80, color='tab:red',
                       zorder=5, label='chosen, measured')
    limit = budget.limits.get(resource)
    if limit is not None and (budget.scope is None or resource == 'latency'):
        ax.axvline(limit / unit, color='gray', linestyle='--', label=f'{resource} limit')
        if budget.window:
            ax.axvline(budget.window * limit / unit, color='gray', linestyle=':', label='window')
    ax.set_xlabel(label)
    ax.set_ylabel('score')
    ax.set_title(f'{result["loop"]}: scored candidates')
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(population, dpi=100)
    plt.close(fig)

    widths = osp.join(work_dir, 'search_widths.png')
    names = list(result['groups'])
    full = np.array([result['groups'][n] for n in names])
    chosen = np.array([result['subnet'][n] for n in names])
    fig, ax = plt.subplots(figsize=(max(6, 0.35 * len(names) + 2), 4.5))
    positions = np.arange(len(names))
    ax.bar(positions, full, color='lightgray', label='full width')
    ax.bar(positions, chosen, color='tab:blue', label='chosen width')
    ax.set_xticks(positions)
    ax.set_xticklabels(names, rotation=75, ha='right', fontsize=7)
    ax.set_ylabel('channels')
    ax.set_title(f'chosen widths: {result["flops"] / 1e6:.1f}M FLOPs, {result["params"] / 1e6:.2f}M params')
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(widths, dpi=100)
    plt.close(fig)
    return [population, widths]
