"""Search loops on the Channel-Bench-Macro ResNet table as an oracle: quality, results, plots and resuming."""
import json
from pathlib import Path

import numpy as np
import pytest

from mmwidth.apis.search import run_search
from mmwidth.search.budget import BudgetError
from mmwidth.search.surrogate import RidgeSurrogate

ROOT = Path(__file__).resolve().parents[2]


def config(loop: str) -> str:
    return str(ROOT / 'configs' / 'channel_bench_macro' / f'search_{loop}_cbm-resnet_oracle.py')


def search(loop, work_dir, table, name, **options):
    cfg_options = {'train_cfg.scorer.table': str(table), 'experiment_name': name, 'log_level': 'WARNING',
                   **{f'train_cfg.{k}': v for k, v in options.items()}}
    return run_search(config(loop), work_dir=str(work_dir), cfg_options=cfg_options)


def table_best(table, fraction):
    records = json.loads(Path(table).read_text()).values()
    limit = fraction * max(r['flops'] for r in records)
    return max(r['mean'] for r in records if r['flops'] <= limit)


@pytest.mark.parametrize('fraction', [0.25, 0.5])
def test_evolution_finds_the_optimum_and_beats_random(tmp_path, cbm_resnet_table, fraction):
    best = table_best(cbm_resnet_table, fraction)
    regrets = {}
    for loop in ('evolution', 'random'):
        found = [search(loop, tmp_path / f'{loop}{seed}', cbm_resnet_table, f'{loop}_{fraction}_{seed}',
                        seed=seed, max_evaluations=300, plot=False, **{'budget.flops': f'{fraction:.0%}'})
                 for seed in range(3)]
        regrets[loop] = best - np.array([r['score'] for r in found])
        assert all(r['evaluations'] == 300 for r in found)
    assert regrets['evolution'].mean() <= 0.02 and (regrets['evolution'] <= 0.1).all()
    assert regrets['evolution'].mean() <= regrets['random'].mean()


def test_results_and_plots(tmp_path, cbm_resnet_table):
    result = search('evolution', tmp_path, cbm_resnet_table, 'results', max_evaluations=100)
    saved = json.loads((tmp_path / 'search_result.json').read_text())
    assert saved['subnet'] == json.loads((tmp_path / 'subnet.json').read_text()) == result['subnet']
    assert {'subnet', 'flops', 'params', 'score', 'evaluations', 'history'} <= set(saved)
    assert saved['evaluations'] == len(saved['history']) == 100
    limit = saved['budget']['limits']['flops']
    assert 0.8 * limit <= saved['flops'] <= limit  # inside the window
    assert saved['score'] == max(e['score'] for e in saved['history'])
    for plot in ('search_population.png', 'search_widths.png'):
        assert (tmp_path / plot).stat().st_size > 20_000


def test_greedy_slims_until_the_limit(tmp_path, cbm_resnet_table):
    result = search('greedy', tmp_path, cbm_resnet_table, 'greedy', **{'budget.flops': '50%'})
    limit = result['budget']['limits']['flops']
    assert result['flops'] <= limit
    # each step removed one bin from the largest arch: 7 groups x 3 narrower choices at most
    steps = max(e['stage'] for e in result['history']) + 1
    assert result['evaluations'] <= 7 * steps


@pytest.mark.parametrize('surrogate', ['the config\'s', None])
def test_resumed_search_ends_like_an_uninterrupted_one(tmp_path, cbm_resnet_table, surrogate):
    """The surrogate is refitted from the saved candidates: a resumed search screens as an uninterrupted one."""
    options = dict(max_evaluations=None) if surrogate else dict(max_evaluations=None, surrogate=None)
    straight = search('evolution', tmp_path / 'straight', cbm_resnet_table, 'straight', max_generations=6, **options)
    search('evolution', tmp_path / 'resumed', cbm_resnet_table, 'first', max_generations=3, **options)
    resumed = run_search(config('evolution'), work_dir=str(tmp_path / 'resumed'), resume=True, cfg_options={
        'train_cfg.scorer.table': str(cbm_resnet_table), 'experiment_name': 'second', 'log_level': 'WARNING',
        'train_cfg.max_generations': 6, **{f'train_cfg.{k}': v for k, v in options.items()}})
    assert resumed['subnet'] == straight['subnet'] and resumed['history'] == straight['history']


def stages(result) -> list:
    return [[tuple(e['candidate']) for e in result['history'] if e['stage'] == stage]
            for stage in range(max(e['stage'] for e in result['history']) + 1)]


def test_the_surrogate_scores_the_offspring_it_predicts_best(tmp_path, cbm_resnet_table):
    result = search('evolution', tmp_path / 'a', cbm_resnet_table, 'a', max_generations=2, max_evaluations=None)
    assert result['history'] == search('evolution', tmp_path / 'b', cbm_resnet_table, 'b', max_generations=2,
                                       max_evaluations=None)['history']  # deterministic by seed
    first, second = stages(result)
    # refitted to the first generation, the surrogate predicts the second best first
    surrogate = RidgeSurrogate([4] * 7)
    surrogate.fit(first, [e['score'] for e in result['history'][:len(first)]])
    predicted = surrogate.predict(second)
    assert len(second) == 30 and (np.diff(predicted) <= 1e-9).all()
    # with a pool of 1 it scores the children of the plain loop, in its own order
    plain = search('evolution', tmp_path / 'plain', cbm_resnet_table, 'plain', max_generations=3, max_evaluations=None,
                   surrogate=None)
    pool_of_one = search('evolution', tmp_path / 'one', cbm_resnet_table, 'one', max_generations=3,
                         max_evaluations=None, **{'surrogate.pool': 1})
    assert [set(stage) for stage in stages(pool_of_one)] == [set(stage) for stage in stages(plain)]
    assert stages(pool_of_one) != stages(plain)


def test_infeasible_budget_is_reported(tmp_path, cbm_resnet_table):
    with pytest.raises(BudgetError, match='no subnet meets the budget'):
        search('random', tmp_path, cbm_resnet_table, 'infeasible', **{'budget.flops': '3%'})


def test_greedy_slims_to_several_targets_in_one_run(tmp_path, cbm_resnet_table):
    targets = ['75%', '50%', '25%']
    result = search('greedy', tmp_path / 'all', cbm_resnet_table, 'targets', **{'budget.flops': targets})
    results = result['results']
    assert len(results) == 3
    limits = [entry['target']['flops'] for entry in results]
    assert limits == sorted(limits, reverse=True)
    assert all(entry['flops'] <= limit for entry, limit in zip(results, limits))
    assert result['subnet'] == results[-1]['subnet'] == json.loads((tmp_path / 'all' / 'subnet.json').read_text())
    saved = json.loads((tmp_path / 'all' / 'search_result.json').read_text())
    assert saved['results'] == results
    assert results[0]['subnet'] != results[1]['subnet'] != results[2]['subnet']
    # each target continues from the previous one: the 50% subnet is what slimming to 50% alone finds
    alone = search('greedy', tmp_path / 'alone', cbm_resnet_table, 'alone', **{'budget.flops': '50%'})
    assert results[1]['subnet'] == alone['subnet'] and results[1]['score'] == alone['score']
