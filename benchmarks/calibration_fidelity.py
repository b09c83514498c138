"""How a candidate's supernet score depends on the batch-norm recalibration: the number of calibration batches and
the seed that draws them.

The same ``--candidates`` random candidates of the search config's space (at its budget) are scored by BCNet's
``SupernetScorer`` (cached batches, no racing) with each of ``--batches`` calibration batches and the calibration
seeds 0 and 1. Each scoring is compared with the reference (the most batches, seed 0): Kendall tau, mean and
largest absolute difference (points), whether it picks the same best candidate, and how many of its top ``--top``
are the reference's. The reference's own seed-1 row is the floor: what drawing other batches of the same number
changes. Seconds per candidate are the scoring alone.

The supernets are search_cost.py's (``--task digits``: trained here once; ``--task digit-pairs``:
supernet_ranking.py's, reused from ``--pairs-work-dir``).

    python benchmarks/calibration_fidelity.py [--json] [--task digits] [--batches 1 3 10 20]
"""
import argparse
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
from scipy.stats import kendalltau  # noqa: E402

from search_cost import SEARCHES, supernet  # noqa: E402
from mmwidth.search.scorers import SupernetScorer  # noqa: E402
from mmwidth.utils.cli import run_and_report  # noqa: E402
from mmwidth.utils.config import load_config  # noqa: E402
from mmwidth.utils.entry_points import build_runner  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--task', choices=list(SEARCHES), default='digits')
    parser.add_argument('--batches', type=int, nargs='+', default=[1, 3, 10, 20], help='calibration batches')
    parser.add_argument('--candidates', type=int, default=40)
    parser.add_argument('--top', type=int, default=6, help='the top-k compared (the search config\'s top_k)')
    parser.add_argument('--supernet-iters', type=int, default=200, help='of the digits supernet')
    parser.add_argument('--pairs-work-dir', default=osp.join(ROOT, 'work_dirs', 'supernet_ranking'))
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'search_cost'))
    parser.add_argument('--json', action='store_true', help='print only JSON')
    return parser.parse_args()


def run(args) -> dict:
    checkpoint = supernet(args)
    cfg = load_config(SEARCHES[args.task])
    cfg.merge_from_dict({'load_from': checkpoint, 'log_level': 'WARNING', 'train_cfg.plot': False,
                         'work_dir': osp.join(args.work_dir, args.task, 'calibration_fidelity')})
    runner = build_runner(cfg)
    loop = runner.train_loop  # the search loop: its subject, space and budget; its search is not run
    runner.load_or_resume()
    widths = [loop.widths(candidate) for candidate in loop.sample(args.candidates)]
    rows = []
    for batches in sorted(args.batches):
        for seed in (0, 1):
            scorer = SupernetScorer(runner, loop.subject, calibration_batches=batches, seed=seed, racing=None)
            scorer.score(widths[0])  # fills the cache of the split's batches
            started = time.time()
            scores = [scorer.score(subnet)['score'] for subnet in widths]
            rows.append(dict(batches=batches, seed=seed, scores=scores,
                             seconds_per_candidate=round((time.time() - started) / len(widths), 3)))
    reference = np.array(rows[-2]['scores'])
    top = set(np.argsort(-reference)[:args.top])
    for row in rows:
        scores = np.array(row['scores'])
        row.update(kendall_tau=round(float(kendalltau(scores, reference)[0]), 3),
                   mean_abs_diff=round(float(np.abs(scores - reference).mean()), 3),
                   max_abs_diff=round(float(np.abs(scores - reference).max()), 3),
                   same_best=bool(np.argmax(scores) == np.argmax(reference)),
                   top_overlap=len(top & set(np.argsort(-scores)[:args.top])))
    return dict(task=args.task, checkpoint=checkpoint, candidates=args.candidates, top=args.top,
                reference=dict(batches=rows[-2]['batches'], seed=0),
                score_range=[float(reference.min()), float(reference.max())], rows=rows)


def print_table(result: dict) -> None:
    low, high = result['score_range']
    print(f'{result["task"]}: {result["candidates"]} candidates, reference {result["reference"]["batches"]} '
          f'calibration batches, seed 0 (scores {low:.2f}-{high:.2f})')
    print(f'{"batches":>8}{"seed":>5}{"s/cand":>8}{"tau":>7}{"mean |d|":>10}{"max |d|":>9}{"same best":>11}'
          f'{"top-" + str(result["top"]):>7}')
    for row in result['rows']:
        print(f'{row["batches"]:>8}{row["seed"]:>5}{row["seconds_per_candidate"]:>8.3f}{row["kendall_tau"]:>7.3f}'
              f'{row["mean_abs_diff"]:>10.2f}{row["max_abs_diff"]:>9.2f}{str(row["same_best"]):>11}'
              f'{row["top_overlap"]:>7}')


if __name__ == '__main__':
    arguments = parse_args()
    run_and_report(lambda: run(arguments), arguments.json, print_table)
