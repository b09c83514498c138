"""Does each supernet rank widths like stand-alone training does? Every method's supernet against a ground truth.

For each algorithm and supernet seed, trains its digit-pairs supernet
(``configs/<algo>/<algo>_cbm-resnet-8-16_digit-pairs.py``: the table's space, data and optimizer) for the same
number of forward-backward passes (``--passes``; AutoSlim runs 4 a step, BCNet/BCNetV2 2, CafeNet 1 plus its
no-gradient placement-scoring forwards), then scores every arch of the table with the search's own scorer
(``SupernetScorer``: batch-norm recalibration, then top-1 on ``--score-split``; ``val`` is held out from
training, the table's accuracies are on ``test``). Prints, per method as mean +- spread over the supernet seeds
(spread: half the range): Kendall tau and Spearman rho against the table's ``mean``, the within-band tau (archs
in 4 equal FLOPs bands, tau inside each band, averaged), the top-1 regret at 25% and 50% of the largest FLOPs,
and Kendall tau of the scores against FLOPs; the ceilings are the table's seed-to-seed taus.

Supernets and scores are kept in ``<work-dir>/<algo>/seed<k>/``: a rerun (or a run per algorithm in parallel
processes, then one with all of them) reuses them; an interrupted training resumes from its last checkpoint.

    python benchmarks/supernet_ranking.py --table benchmarks/data/digit-pairs_cbm-resnet-8-16.json [--json]
"""
import argparse
import os.path as osp
import sys
import time
from typing import Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
from mmengine.config import DictAction  # noqa: E402

from digit_pairs_supernets import ALGORITHMS, read_json, table_recipe, trained_supernet, write_json  # noqa: E402
from mmwidth.ground_truth.cbm_table import load_cbm_table  # noqa: E402
from mmwidth.ground_truth.ranking import kendall_tau, ranking_metrics, table_statistics  # noqa: E402
from mmwidth.search.scorers import SupernetScorer  # noqa: E402
from mmwidth.supernet.subject import SearchSubject  # noqa: E402
from mmwidth.utils.cli import run_and_report  # noqa: E402
METRICS = ('kendall_tau', 'spearman', 'within_band_tau', 'regret_25', 'regret_50', 'score_tau_vs_flops')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--table', required=True, help='a table made by benchmarks/make_ground_truth.py')
    parser.add_argument('--algorithms', nargs='+', choices=ALGORITHMS, default=list(ALGORITHMS))
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1], help='supernet training seeds')
    parser.add_argument('--passes', type=int, default=12800, help='forward-backward passes of every supernet')
    parser.add_argument('--score-split', choices=['val', 'test'], default='val',
                        help='where the scorer evaluates (val: held out from training, as in a search)')
    parser.add_argument('--calibration-batches', type=int, default=10)
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'supernet_ranking'))
    parser.add_argument('--train-only', action='store_true',
                        help='train the supernets (e.g. while the table is still being made), score later')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='overrides of every method config, e.g. a variant: model.distill_module=None for '
                             'AutoSlim without in-place distillation (use its own --work-dir)')
    parser.add_argument('--json', action='store_true', help='print only JSON')
    return parser.parse_args()


def train_and_score(algorithm: str, seed: int, table: dict, args) -> Optional[dict]:
    """Trains (or reloads) one supernet and scores every arch of the table (``None`` with ``--train-only``)."""
    scoring = dict(passes=args.passes, seed=seed, score_split=args.score_split,
                   calibration_batches=args.calibration_batches, **({'cfg_options': args.cfg_options}
                                                                    if args.cfg_options else {}))
    scores_path = osp.join(args.work_dir, algorithm, f'seed{seed}', 'scores.json')
    saved = read_json(scores_path)
    if saved and set(table) <= set(saved['scores']) and saved['scoring'] == scoring:
        return saved
    runner, cfg, trained = trained_supernet(algorithm, seed, args.passes, args.work_dir, args.table,
                                            args.cfg_options)
    if args.train_only:
        return None
    recipe = table_recipe(args.table)
    subject = SearchSubject.from_runner(runner)
    split_loader = cfg.val_dataloader if args.score_split == 'val' else cfg.test_dataloader
    scorer = SupernetScorer(runner, subject, dataloader=split_loader, evaluator=cfg.val_evaluator,
                            calibration_dataloader=cfg.train_dataloader,
                            calibration_batches=args.calibration_batches)
    start, scores = time.time(), {}
    for arch in table:
        widths = subject.space.check_subnet(recipe.arch_subnet(arch), source=f'arch {arch}')
        scores[arch] = scorer.score(widths)['score']
    result = dict(trained, scores=scores, scoring_seconds=round(time.time() - start), scoring=scoring)
    write_json(scores_path, result)
    return result


def method_row(algorithm: str, table: dict, results: list) -> dict:
    """Every metric of one method as mean and spread (half the range) over its supernet seeds."""
    flops = [table[a]['flops'] for a in table]
    per_seed = []
    for result in results:
        metrics = ranking_metrics(table, result['scores'])
        metrics['score_tau_vs_flops'] = kendall_tau([result['scores'][a] for a in table], flops)
        per_seed.append(metrics)
    row = dict(algorithm=algorithm, seeds=len(results))
    for metric in METRICS:
        values = [m[metric] for m in per_seed]
        row[metric] = float(np.mean(values))
        row[f'{metric}_spread'] = float(np.ptp(values) / 2)
    row.update(per_seed=per_seed, passes=[r['passes'] for r in results],
               scoring_forwards=[r['scoring_forwards'] for r in results],
               largest_val_top1=[r['largest_val_top1'] for r in results],
               train_seconds=[r['seconds'] for r in results], scoring_seconds=[r['scoring_seconds'] for r in results])
    return row


def benchmark(args) -> dict:
    table = load_cbm_table(args.table)
    runs = [(algorithm, seed) for algorithm in args.algorithms for seed in args.seeds]
    if args.train_only:
        for algorithm, seed in runs:
            train_and_score(algorithm, seed, table, args)
        return dict(trained=[f'{a}/seed{s}' for a, s in runs])
    results = {run: train_and_score(*run, table, args) for run in runs}
    rows = [method_row(algorithm, table, [results[(algorithm, seed)] for seed in args.seeds])
            for algorithm in args.algorithms]
    stats = table_statistics(table)
    return dict(table=osp.basename(args.table), archs=len(table), score_split=args.score_split,
                ceiling_tau=stats['seed_to_seed_tau'], ceiling_within_band_tau=stats['seed_to_seed_within_band_tau'],
                rows=rows)


def print_table(result: dict) -> None:
    print(f'{result["archs"]} archs of {result["table"]}, scored on {result["score_split"]}; ceilings '
          f'(seed-to-seed Kendall tau): {result["ceiling_tau"]:.3f} overall, {result["ceiling_within_band_tau"]:.3f} '
          'within bands')
    header = ['algorithm', 'Kendall tau', 'Spearman', 'within-band', 'regret@25%', 'regret@50%', 'tau vs FLOPs']
    print(' | '.join(header))
    for row in result['rows']:
        cells = [row['algorithm']] + [f'{row[m]:.3f} +- {row[m + "_spread"]:.3f}' for m in METRICS]
        print(' | '.join(cells))


def main():
    args = parse_args()
    run_and_report(lambda: benchmark(args), args.json or args.train_only, print_table)


if __name__ == '__main__':
    main()
