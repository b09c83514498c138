"""Does a searched width beat the uniformly shrunk network? Searched, uniform and random subnets retrained.

At each budget (``--budgets``, fractions of the largest subnet's FLOPs) and for each method, the subnet found by
the method's own search config (``configs/<algo>/<algo>_cbm-resnet-8-16_search_digit-pairs.py``, scored on the
held-out ``val`` pairs) on its seed-0 digit-pairs supernet (shared with supernet_ranking.py); the uniform-width
subnet (every group at the same fraction of its channels, the largest fraction within the budget at a one-channel
step, not only the space's quarters: mmwidth.search.uniform); and ``--random`` archs of the space drawn in the
FLOPs window [0.8 x budget, budget]. Each is trained from scratch with the ground truth's recipe
(mmwidth.ground_truth.standalone, the table's ``.meta.json``) with ``--seeds`` seeds and tested on the
``test`` pairs. Prints per budget: FLOPs (fraction of the largest), top-1 mean +- std over seeds (random: over
its subnets' means), and each method's gain over uniform.

Every supernet, search and retraining is kept under ``--work-dir``; a rerun reuses them.

    python benchmarks/search_vs_uniform.py [--table benchmarks/data/digit-pairs_cbm-resnet-8-16.json] [--json]
"""
import argparse
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

from digit_pairs_supernets import ALGORITHMS, read_json, table_recipe, trained_supernet, write_json  # noqa: E402
from mmwidth.apis.search import run_search  # noqa: E402
from mmwidth.ground_truth.cbm_table import DIGIT_GROUPS, all_archs  # noqa: E402
from mmwidth.ground_truth.standalone import PairTensors, train_subnet  # noqa: E402
from mmwidth.ground_truth.table_archs import arch_costs, recipe_space  # noqa: E402
from mmwidth.search.uniform import uniform_subnet  # noqa: E402
from mmwidth.utils.cli import run_and_report  # noqa: E402
from mmwidth.utils.errors import WidthSearchError  # noqa: E402

DEFAULT_TABLE = osp.join(ROOT, 'benchmarks', 'data', 'digit-pairs_cbm-resnet-8-16.json')
WINDOW = 0.8  # random subnets cost between this fraction of the budget and the budget


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--table', default=DEFAULT_TABLE, help='its .meta.json gives the retraining recipe')
    parser.add_argument('--algorithms', nargs='+', choices=ALGORITHMS, default=list(ALGORITHMS))
    parser.add_argument('--budgets', type=float, nargs='+', default=[0.25, 0.5])
    parser.add_argument('--passes', type=int, default=12800, help='forward-backward passes of every supernet')
    parser.add_argument('--seeds', type=int, default=3, help='retraining seeds of every subnet')
    parser.add_argument('--random', type=int, default=5, help='random subnets per budget')
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'supernet_ranking'),
                        help='shared with supernet_ranking.py, so the supernets are trained once')
    parser.add_argument('--json', action='store_true', help='print only JSON')
    return parser.parse_args()


def search_config(algorithm: str) -> str:
    return osp.join(ROOT, 'configs', algorithm, f'{algorithm}_cbm-resnet-8-16_search_digit-pairs.py')


def searched_subnet(algorithm: str, budget: float, args) -> dict:
    """The subnet (group -> channels) of the method's search at ``budget`` on its seed-0 supernet."""
    work_dir = osp.join(args.work_dir, algorithm, 'seed0', f'search{budget * 100:g}')
    done = read_json(osp.join(work_dir, 'search_result.json'))
    if done is None:
        trained = trained_supernet(algorithm, 0, args.passes, args.work_dir, args.table)[2]
        done = run_search(search_config(algorithm), trained['checkpoint'], work_dir,
                          cfg_options={'train_cfg.budget.flops': f'{budget * 100:g}%', 'log_level': 'WARNING'})
    return {name: int(width) for name, width in done['subnet'].items()}


def random_subnets(recipe, space, budget: float, count: int, seed: int) -> list:
    """``count`` archs of the space's grid with FLOPs in [WINDOW x limit, limit], drawn without replacement."""
    archs = list(all_archs())
    limit = budget * space.flops(space.full())
    flops = np.array([cost['flops'] for cost in arch_costs(recipe, archs).values()])
    window = np.flatnonzero((flops >= WINDOW * limit) & (flops <= limit))
    if len(window) < count:
        raise WidthSearchError(f'only {len(window)} archs cost {WINDOW:.0%}-100% of {limit:,.0f} FLOPs')
    chosen = np.random.default_rng([seed, round(budget * 1000)]).choice(window, count, replace=False)
    return [recipe.arch_subnet(archs[i]) for i in sorted(chosen)]


def retrained(recipe, channels: dict, args, data) -> dict:
    """Test top-1 of ``channels`` trained from scratch with each seed (runs cached in the work dir)."""
    path = osp.join(args.work_dir, 'retrained.json')
    runs = read_json(path) or {}
    key = ','.join(str(channels[name]) for name in DIGIT_GROUPS['resnet'])
    accuracies = []
    for seed in range(args.seeds):
        if f'{key}/{seed}' not in runs:
            runs[f'{key}/{seed}'] = train_subnet(recipe, channels, seed, data)
            write_json(path, runs)
        accuracies.append(runs[f'{key}/{seed}']['accuracy'])
    return dict(channels=key, accuracy=accuracies, mean=float(np.mean(accuracies)),
                std=float(np.std(accuracies, ddof=1)) if len(accuracies) > 1 else 0.0)


def budget_rows(recipe, budget: float, space, data, args) -> list:
    full = space.flops(space.full())
    subnets = [('uniform', uniform_subnet(space, budget * full))]
    subnets += [(algorithm, searched_subnet(algorithm, budget, args)) for algorithm in args.algorithms]
    rows = [dict(method=name, flops_fraction=space.flops(channels) / full, **retrained(recipe, channels, args, data))
            for name, channels in subnets]
    drawn = random_subnets(recipe, space, budget, args.random, 0)
    randoms = [retrained(recipe, channels, args, data) for channels in drawn]
    means = [r['mean'] for r in randoms]
    rows.append(dict(method=f'random (x{len(randoms)})', mean=float(np.mean(means)), std=float(np.std(means, ddof=1)),
                     flops_fraction=float(np.mean([space.flops(channels) for channels in drawn]) / full),
                     subnets=randoms))
    uniform = rows[0]['mean']
    for row in rows:
        row['gain_over_uniform'] = row['mean'] - uniform
    return rows


def benchmark(args) -> dict:
    recipe = table_recipe(args.table)
    meta = read_json(osp.splitext(args.table)[0] + '.meta.json')
    space = recipe_space(recipe)
    start = time.time()
    data = PairTensors(recipe.image_size, distortion=meta['distortion'])
    budgets = {f'{budget:g}': budget_rows(recipe, budget, space, data, args) for budget in args.budgets}
    return dict(recipe=recipe.to_dict(), seeds=args.seeds, budgets=budgets, seconds=round(time.time() - start))


def print_table(result: dict) -> None:
    print(f'retrained with the table\'s recipe ({result["recipe"]["iterations"]} iterations), {result["seeds"]} '
          f'seeds each; test top-1 mean +- std (random: over its subnets)')
    for budget, rows in result['budgets'].items():
        print(f'budget {float(budget):.0%} of the largest FLOPs')
        print('method | FLOPs | top-1 | gain over uniform | channels')
        for row in rows:
            print(f'{row["method"]} | {row["flops_fraction"]:.1%} | {row["mean"]:.2f} +- {row["std"]:.2f} | '
                  f'{row["gain_over_uniform"]:+.2f} | {row.get("channels", "")}')


def main():
    args = parse_args()
    run_and_report(lambda: benchmark(args), args.json, print_table)


if __name__ == '__main__':
    main()
