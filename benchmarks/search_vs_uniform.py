"""Does a searched width beat the uniformly shrunk network? Searched, uniform and random subnets retrained.

At each budget (``--budgets``, fractions of the largest subnet's FLOPs) and for each method, the subnet found by
the method's own search config (``configs/<algo>/<algo>_cbm-resnet-8-16_search_digit-pairs.py``, scored on the
held-out ``val`` pairs) on its seed-0 digit-pairs supernet (shared with supernet_ranking.py); the uniform-width
subnet (every group at the same fraction of its channels, the largest fraction within the budget at a one-channel
step, not only the space's quarters: mmwidth.search.uniform); and ``--random`` archs of the space drawn in the
FLOPs window [0.8 x budget, budget]. Each is trained from scratch with the ground truth's recipe
(mmwidth.ground_truth.standalone, the table's ``.meta.json``) with ``--seeds`` seeds and tested on the
``test`` pairs. Prints per budget: FLOPs (fraction of the largest), top-1 mean +- std over seeds (random: over
its subnets' means), and each method's gain over uniform. Dagger joins (``--no-pruning``: not): its kept channels
at the budget, gated from the full network pretrained with the table's recipe, and the uniform subnet cut from
the same network, both fine-tuned alike (digit_pairs_pruning.py); its gain is over that fine-tuned uniform one.

Every supernet, search and retraining is kept under ``--work-dir``; a rerun reuses them.

    python benchmarks/search_vs_uniform.py [--table benchmarks/data/digit-pairs_cbm-resnet-8-16.json] [--json]
"""
import argparse
import os
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

from digit_pairs_pruning import pruned_rows  # noqa: E402
from digit_pairs_supernets import ALGORITHMS, read_json, table_recipe, trained_supernet, write_json  # noqa: E402
from mmwidth.apis.search import run_search  # noqa: E402
from mmwidth.ground_truth.cbm_table import DIGIT_GROUPS, all_archs, load_cbm_table  # noqa: E402
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
    parser.add_argument('--no-pruning', dest='pruning', action='store_false',
                        help='leave out Dagger and the uniform subnet fine-tuned from the pretrained full network')
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'supernet_ranking'),
                        help='shared with supernet_ranking.py, so the supernets are trained once')
    parser.add_argument('--plot', help='also draw the table and every subnet found here into this image')
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
    key = channels_key(channels)
    accuracies = []
    for seed in range(args.seeds):
        if f'{key}/{seed}' not in runs:
            runs[f'{key}/{seed}'] = train_subnet(recipe, channels, seed, data)
            write_json(path, runs)
        accuracies.append(runs[f'{key}/{seed}']['accuracy'])
    return summary(key, accuracies)


def channels_key(channels: dict) -> str:
    return ','.join(str(channels[name]) for name in DIGIT_GROUPS['resnet'])


def summary(channels: str, accuracies: list) -> dict:
    return dict(channels=channels, accuracy=accuracies, mean=float(np.mean(accuracies)),
                std=float(np.std(accuracies, ddof=1)) if len(accuracies) > 1 else 0.0)


def budget_rows(recipe, budget: float, space, data, args) -> list:
    full = space.flops(space.full())
    subnets = [('uniform', uniform_subnet(space, budget * full))]
    subnets += [(algorithm, searched_subnet(algorithm, budget, args)) for algorithm in args.algorithms]
    rows = [dict(method=name, flops_fraction=space.flops(channels) / full, **retrained(recipe, channels, args, data))
            for name, channels in subnets]
    drawn = random_subnets(recipe, space, budget, args.random, 0)
    randoms = [dict(retrained(recipe, channels, args, data), flops_fraction=space.flops(channels) / full)
               for channels in drawn]
    means = [r['mean'] for r in randoms]
    rows.append(dict(method=f'random (x{len(randoms)})', mean=float(np.mean(means)), std=float(np.std(means, ddof=1)),
                     flops_fraction=float(np.mean([r['flops_fraction'] for r in randoms])), subnets=randoms))
    uniform = rows[0]['mean']
    for row in rows:
        row['gain_over_uniform'] = row['mean'] - uniform
    if args.pruning:
        pruned = [dict(method=name, flops_fraction=space.flops(run['channels']) / full,
                       **summary(channels_key(run['channels']), run['accuracy']))
                  for name, run in pruned_rows(recipe, budget, space, data, args.seeds, args.work_dir)]
        baseline = next(row['mean'] for row in pruned if row['method'].startswith('uniform'))
        for row in pruned:  # against the uniform subnet fine-tuned from the same pretrained network
            row['gain_over_uniform'] = row['mean'] - baseline
        rows += pruned
    return rows


def benchmark(args) -> dict:
    recipe = table_recipe(args.table)
    meta = read_json(osp.splitext(args.table)[0] + '.meta.json')
    space = recipe_space(recipe)
    start = time.time()
    data = PairTensors(recipe.image_size, distortion=meta['distortion'])
    budgets = {f'{budget:g}': budget_rows(recipe, budget, space, data, args) for budget in args.budgets}
    result = dict(recipe=recipe.to_dict(), seeds=args.seeds, budgets=budgets, seconds=round(time.time() - start))
    if args.plot:
        plot(result, load_cbm_table(args.table), space.flops(space.full()), args.plot)
    return result


def plot(result: dict, table: dict, full_flops: float, path: str) -> None:
    """Test top-1 vs FLOPs of the table's archs (grey), with each budget's subnets marked (retrained mean)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(figsize=(8, 5))
    axes.scatter([r['flops'] / full_flops for r in table.values()], [r['mean'] for r in table.values()], s=8,
                 color='0.75', label='table archs (stand-alone, 2 seeds)')
    markers = dict(uniform='*', autoslim='v', bcnet='o', bcnetv2='s', cafenet='D')
    colours = dict(zip(markers, ('tab:red', 'tab:purple', 'tab:blue', 'tab:olive', 'tab:cyan')))
    for rows in result['budgets'].values():
        for row in rows:
            if row['method'].startswith('random'):
                axes.scatter([r['flops_fraction'] for r in row['subnets']], [r['mean'] for r in row['subnets']],
                             marker='x', color='k', label='random in the budget window')
            elif row['method'] in markers:
                axes.errorbar(row['flops_fraction'], row['mean'], yerr=row['std'], fmt=markers[row['method']],
                              color=colours[row['method']],
                              markersize=9 if row['method'] == 'uniform' else 6, label=row['method'])
    for budget in result['budgets']:
        axes.axvline(float(budget), color='0.5', linestyle=':', linewidth=1)
    handles = dict(zip(*reversed(axes.get_legend_handles_labels())))
    axes.legend(handles.values(), handles.keys(), loc='lower right')
    axes.set_xlabel('FLOPs (fraction of the largest subnet)')
    axes.set_ylabel('test top-1 (%), trained from scratch')
    axes.set_title('digit pairs, CBM ResNet at 8/16 channels: searched vs uniform widths')
    figure.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)


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
