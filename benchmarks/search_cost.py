"""What a candidate of a supernet search costs, before and after the scorer's cached batches and racing.

A BCNet search (evolution at 50% of the FLOPs, at most 80 candidates, scored on a held-out ``val`` split) of one
supernet, run with ``--seeds`` search seeds on each path:

- before: every candidate re-runs the search split's data pipeline and is evaluated on the whole split
  (``train_cfg.scorer.cache=False``, ``racing=None``);
- after: the scorer's defaults (the preprocessed batches kept in memory; racing: each subnet scored on the first
  quarter of the split first, and a candidate that cannot reach the k-th best score at 99% confidence stops there).

``--task digits``: configs/bcnet/bcnet_cbm-resnet_search_digits.py on the digits supernet (bcnet_cbm-resnet_digits.py,
trained here once; 287 ``val`` images). ``--task digit-pairs``: bcnet_cbm-resnet-8-16_search_digit-pairs.py on the
digit-pairs supernet of supernet_ranking.py (seed 0, 12800 passes, reused from ``--pairs-work-dir``; 5000 ``val``
pairs).

Seconds per candidate count from the search loop's start to its last evaluation (a hook on the runner's train
iterations, which count evaluations), so building the runner and loading the supernet are left out. Each found
subnet is exported (tools/export_subnet.py's path) and tested on the ``test`` split; a seed's two finds agree when
they are the same subnet or their test top-1 differ by no more than the spread of the before path's seeds.

Every search, export and test is kept under ``--work-dir``/<task>; a rerun reuses them.

    python benchmarks/search_cost.py [--json] [--task digits] [--seeds 2]
"""
import argparse
import os
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmengine.hooks import Hook  # noqa: E402
from mmengine.registry import HOOKS  # noqa: E402

from digit_pairs_supernets import read_json, trained_supernet, write_json  # noqa: E402
from latency_budget import digits_supernet  # noqa: E402
from mmwidth.apis.export import export_subnet  # noqa: E402
from mmwidth.apis.search import run_search  # noqa: E402
from mmwidth.utils.cli import run_and_report  # noqa: E402
from mmwidth.utils.config import load_config  # noqa: E402
from mmwidth.utils.entry_points import build_runner  # noqa: E402

SEARCHES = {'digits': osp.join(ROOT, 'configs', 'bcnet', 'bcnet_cbm-resnet_search_digits.py'),
            'digit-pairs': osp.join(ROOT, 'configs', 'bcnet', 'bcnet_cbm-resnet-8-16_search_digit-pairs.py')}
PAIRS_TABLE = osp.join(ROOT, 'benchmarks', 'data', 'digit-pairs_cbm-resnet-8-16.json')
PATHS = dict(before={'train_cfg.scorer.cache': False, 'train_cfg.scorer.racing': None}, after={})


@HOOKS.register_module()
class CandidateClock(Hook):
    """Writes ``candidate_clock.json`` into the work dir: seconds from the search loop's start to each of its
    evaluations (the search loop's train iterations)."""

    def before_train(self, runner) -> None:
        self.start, self.times = time.time(), []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.times.append(time.time() - self.start)

    def after_train(self, runner) -> None:
        write_json(osp.join(runner.work_dir, 'candidate_clock.json'), self.times)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--task', choices=list(SEARCHES), default='digits')
    parser.add_argument('--seeds', type=int, default=2, help='search seeds of each path')
    parser.add_argument('--evaluations', type=int, help='evaluations of each search (default: the config\'s)')
    parser.add_argument('--supernet-iters', type=int, default=200, help='of the digits supernet')
    parser.add_argument('--pairs-work-dir', default=osp.join(ROOT, 'work_dirs', 'supernet_ranking'),
                        help='where supernet_ranking.py keeps (or this trains) the digit-pairs supernet')
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'search_cost'))
    parser.add_argument('--json', action='store_true', help='print only JSON')
    return parser.parse_args()


def tested_top1(export_dir: str) -> float:
    """Top-1 (%) of an exported subnet on the test split, as tools/test.py gives it."""
    cfg = load_config(osp.join(export_dir, 'config.py'))
    cfg.load_from = osp.join(export_dir, 'model.pth')
    cfg.work_dir = osp.join(export_dir, 'test')
    cfg.log_level = 'WARNING'
    return float(build_runner(cfg).test()['accuracy/top1'])


def supernet(args) -> str:
    if args.task == 'digits':
        return digits_supernet(argparse.Namespace(work_dir=osp.join(args.work_dir, args.task),
                                                  supernet_iters=args.supernet_iters))
    return trained_supernet('bcnet', 0, 12800, args.pairs_work_dir, PAIRS_TABLE)[2]['checkpoint']


def search(path: str, seed: int, checkpoint: str, args) -> dict:
    """The search of ``path`` with ``seed``: its find, evaluations, seconds per candidate and the find's test
    top-1."""
    work_dir = osp.join(args.work_dir, args.task, f'{path}_seed{seed}')
    row_file = osp.join(work_dir, 'row.json')
    row = read_json(row_file)
    if row:
        return row
    config = SEARCHES[args.task]
    cfg = load_config(config)
    cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [dict(type='CandidateClock')]
    options = dict(PATHS[path], **{'train_cfg.seed': seed, 'train_cfg.plot': False, 'log_level': 'WARNING'})
    if args.evaluations:
        options['train_cfg.max_evaluations'] = args.evaluations
    result = run_search(cfg, checkpoint, work_dir, options)
    clock = read_json(osp.join(work_dir, 'candidate_clock.json'))
    export_dir = osp.join(work_dir, 'export')
    export_subnet(load_config(config), osp.join(work_dir, 'search_result.json'), checkpoint, export_dir)
    row = dict(seed=seed, subnet=result['subnet'], score=result['score'], flops=result['flops'],
               evaluations=result['evaluations'], raced=sum(bool(entry.get('raced')) for entry in result['history']),
               seconds_per_candidate=round(clock[-1] / len(clock), 3), search_s=round(clock[-1], 1),
               test_top1=tested_top1(export_dir))
    write_json(row_file, row)
    return row


def run(args) -> dict:
    os.makedirs(args.work_dir, exist_ok=True)
    checkpoint = supernet(args)
    found = {path: [search(path, seed, checkpoint, args) for seed in range(args.seeds)] for path in PATHS}
    seconds = {path: round(sum(row['search_s'] for row in rows) / sum(row['evaluations'] for row in rows), 3)
               for path, rows in found.items()}
    before_top1 = [row['test_top1'] for row in found['before']]
    spread = max(before_top1) - min(before_top1)
    agree = [before['subnet'] == after['subnet'] or abs(before['test_top1'] - after['test_top1']) <= spread
             for before, after in zip(found['before'], found['after'])]
    return dict(task=args.task, seconds_per_candidate=seconds, ratio=round(seconds['after'] / seconds['before'], 3),
                found=found, seed_spread_top1=round(spread, 2), agree=agree, checkpoint=checkpoint)


def print_table(result: dict) -> None:
    seconds = result['seconds_per_candidate']
    print(f'{result["task"]} BCNet search: {seconds["before"]:.2f} s a candidate before (no cache, no racing), '
          f'{seconds["after"]:.2f} s after: ratio {result["ratio"]:.3f}')
    print(f'{"path":<8}{"seed":>5}{"evals":>7}{"raced":>7}{"s/cand":>8}{"score":>8}{"test top-1":>12}  subnet')
    for path, rows in result['found'].items():
        for row in rows:
            print(f'{path:<8}{row["seed"]:>5}{row["evaluations"]:>7}{row["raced"]:>7}'
                  f'{row["seconds_per_candidate"]:>8.2f}{row["score"]:>8.2f}{row["test_top1"]:>12.2f}  '
                  f'{",".join(str(width) for width in row["subnet"].values())}')
    print(f'finds agree per seed (same subnet, or test top-1 within the before path\'s seed spread '
          f'{result["seed_spread_top1"]:.2f}): {result["agree"]}')


if __name__ == '__main__':
    arguments = parse_args()
    run_and_report(lambda: run(arguments), arguments.json, print_table)
