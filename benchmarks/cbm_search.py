"""Compare the search loops on Channel-Bench-Macro, with the table as the oracle (no training).

Every loop runs through the same code path as tools/search.py (the configs
configs/channel_bench_macro/search_<loop>_cbm-<space>_oracle.py). For each loop and budget (a fraction of the
largest arch's FLOPs) it prints the table's best `mean` accuracy within the budget, the mean regret over seeds
(best minus found), how many seeds came within 0.1 points, the evaluations used and the surrogate that screened
the candidates (the config's, after --cfg-options; '-': none).
"""
import argparse
import os.path as osp
import sys
import tempfile

import numpy as np
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmwidth.apis.search import run_search  # noqa: E402
from mmwidth.ground_truth.cbm_table import load_cbm_table  # noqa: E402
from mmwidth.utils.cli import run_and_report  # noqa: E402
from mmwidth.utils.config import DictAction  # noqa: E402

LOOPS = ('evolution', 'random', 'greedy')
HIT = 0.1  # accuracy points


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--space', choices=['resnet', 'mobilenet'], required=True)
    parser.add_argument('--table', required=True, help='Results_ResNet.json / Results_MobileNet.json')
    parser.add_argument('--budgets', type=float, nargs='+', default=[0.25, 0.5])
    parser.add_argument('--evals', type=int, default=300, help='evaluations per search')
    parser.add_argument('--seeds', type=int, default=10)
    parser.add_argument('--loops', nargs='+', choices=LOOPS, default=list(LOOPS))
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override settings of the search configs, e.g. train_cfg.top_k=5')
    parser.add_argument('--json', action='store_true', help='print only JSON')
    return parser.parse_args()


def table_best(table: dict, fraction: float) -> float:
    limit = fraction * max(record['flops'] for record in table.values())
    return max(record['mean'] for record in table.values() if record['flops'] <= limit)


def benchmark(args) -> list:
    table = load_cbm_table(args.table)
    rows = []
    with tempfile.TemporaryDirectory() as work_root:
        for loop in args.loops:
            config = osp.join(ROOT, 'configs', 'channel_bench_macro', f'search_{loop}_cbm-{args.space}_oracle.py')
            settings = Config.fromfile(config)
            settings.merge_from_dict(args.cfg_options)
            surrogate = settings.train_cfg.get('surrogate')
            for fraction in args.budgets:
                best = table_best(table, fraction)
                found, evaluations = [], []
                for seed in range(args.seeds):
                    name = f'{loop}_{fraction}_{seed}'
                    result = run_search(config, work_dir=osp.join(work_root, name), cfg_options={
                        'train_cfg.scorer.table': args.table, 'train_cfg.budget.flops': f'{fraction * 100:g}%',
                        'train_cfg.max_evaluations': args.evals, 'train_cfg.seed': seed,
                        'train_cfg.plot': False, 'experiment_name': name, 'log_level': 'WARNING',
                        **args.cfg_options})
                    found.append(result['score'])
                    evaluations.append(result['evaluations'])
                regrets = best - np.array(found)
                rows.append(dict(loop=loop, budget=fraction, best=best, mean_regret=float(regrets.mean()),
                                 hits=int((regrets <= HIT).sum()), seeds=args.seeds,
                                 evaluations=float(np.mean(evaluations)),
                                 surrogate=None if surrogate is None else dict(surrogate)))
    return rows


def print_table(args, rows: list) -> None:
    print(f'Channel-Bench-Macro {args.space}: {args.seeds} seeds, up to {args.evals} evaluations per search')
    print(f'{"loop":<10} {"budget":>6} {"best":>8} {"mean regret":>12} {"hits<=0.1":>10} {"evaluations":>12} '
          f' surrogate')
    for row in rows:
        surrogate = '-' if row['surrogate'] is None else \
            f'{row["surrogate"]["type"]} (pool {row["surrogate"].get("pool", "default")})'
        print(f'{row["loop"]:<10} {row["budget"]:>6.2f} {row["best"]:>8.3f} {row["mean_regret"]:>12.4f} '
              f'{row["hits"]:>7}/{row["seeds"]:<2} {row["evaluations"]:>12.1f}  {surrogate}')


def main():
    args = parse_args()
    run_and_report(lambda: dict(rows=benchmark(args)), args.json, lambda result: print_table(args, result['rows']))


if __name__ == '__main__':
    main()
