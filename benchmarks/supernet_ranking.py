"""Does each supernet rank widths like stand-alone training does? A ground-truth comparison on the digits.

For each algorithm, trains its digits supernet (configs/<algo>/<algo>_cbm-resnet_digits.py) at the table's
resolution and augmentation (the table's ``.meta.json`` recipe) for the same number of forward-backward passes
(AutoSlim runs 4 a step, BCNet/BCNetV2 2, CafeNet 1 plus its no-gradient placement-scoring forwards), then scores
every arch of the table with the search's own scorer (``SupernetScorer``: batch-norm recalibration, then top-1 on
``--score-split``; ``val`` is held out from training, the table's accuracies are on ``test``). Prints Kendall
tau and Spearman rho against the table's ``mean``, the top-1 regret at 25% and 50% of the largest FLOPs (best
true ``mean`` within the budget minus the true ``mean`` of the supernet's pick) and, as the ceiling, the
table's seed-to-seed Kendall tau.

Scores are kept in ``<work-dir>/<algo>/scores.json``: a rerun (or a run per algorithm in parallel processes,
then one with all of them) reuses them instead of training again.

    python benchmarks/supernet_ranking.py --table benchmarks/data/digits_cbm-resnet.json [--json]
"""
import argparse
import json
import os.path as osp
import sys
from typing import Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

import torch  # noqa: E402
from mmengine.hooks import Hook  # noqa: E402

from mmwidth.algorithms.base import algorithm_of  # noqa: E402
from mmwidth.ground_truth.cbm_table import arch_to_subnet, load_cbm_table  # noqa: E402
from mmwidth.ground_truth.digits_bench import digits_data_options, ranking_metrics, seed_to_seed_tau  # noqa: E402
from mmwidth.search.scorers import SupernetScorer  # noqa: E402
from mmwidth.search.subject import SearchSubject  # noqa: E402
from mmwidth.utils.cli import run_and_report  # noqa: E402
from mmwidth.utils.config import load_config  # noqa: E402
from mmwidth.utils.entry_points import build_runner  # noqa: E402
from mmwidth.utils.errors import WidthSearchError  # noqa: E402

ALGORITHMS = ('autoslim', 'bcnet', 'bcnetv2', 'cafenet')
WARMUP = 20  # iterations of linear warm-up, as in the digits supernet schedule


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--table', required=True, help='a table made by benchmarks/make_digits_bench.py')
    parser.add_argument('--algorithms', nargs='+', choices=ALGORITHMS, default=list(ALGORITHMS))
    parser.add_argument('--passes', type=int, default=400, help='forward-backward passes of every supernet')
    parser.add_argument('--score-split', choices=['val', 'test'], default='val',
                        help='where the scorer evaluates (val: held out from training, as in a search)')
    parser.add_argument('--calibration-batches', type=int, default=5)
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'supernet_ranking'))
    parser.add_argument('--train-only', action='store_true',
                        help='train the supernets (e.g. while the table is still being made), score later')
    parser.add_argument('--json', action='store_true', help='print only JSON')
    return parser.parse_args()


def backward_passes_per_step(model_cfg: dict) -> int:
    """Forward-backward passes of one train step of an algorithm (CafeNet's scoring passes have no backward)."""
    kind = model_cfg['type'].split('.')[-1]
    if kind == 'AutoSlim':
        return 2 + model_cfg.get('num_random_samples', 2)
    if kind in ('BCNet', 'BCNetV2'):
        return 2
    if kind == 'CafeNet':
        return 1
    raise WidthSearchError(f'no pass count known for {kind}')


def table_recipe(table_path: str) -> dict:
    meta_path = osp.splitext(table_path)[0] + '.meta.json'
    if not osp.isfile(meta_path):
        raise WidthSearchError(f'{table_path} has no {osp.basename(meta_path)} with the recipe it was made with')
    with open(meta_path) as f:
        return json.load(f)['recipe']


def supernet_config(algorithm: str, recipe: dict, passes: int, work_dir: str):
    """The algorithm's digits config at the table's resolution and augmentation, ``passes`` passes long."""
    cfg = load_config(osp.join(ROOT, 'configs', algorithm, f'{algorithm}_cbm-resnet_digits.py'))
    steps = max(1, passes // backward_passes_per_step(cfg.model))
    data = digits_data_options(recipe['image_size'], recipe['padding'])
    size = data['image_size']
    cfg.model.width_space.input_shape = (3, size, size)
    cfg.data_preprocessor = dict(cfg.data_preprocessor, mean=data['data_preprocessor']['mean'],
                                 std=data['data_preprocessor']['std'])
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        pipeline = data['train_pipeline' if loader == 'train_dataloader' else 'test_pipeline']
        cfg[loader].dataset.update(image_size=size, pipeline=pipeline)
    warmup = min(WARMUP, steps)
    cfg.param_scheduler[0].update(end=warmup)
    cfg.param_scheduler[1].update(begin=warmup, end=max(steps, warmup + 1))
    cfg.train_cfg.update(max_iters=steps, val_interval=steps)  # validated once, at the end
    cfg.default_hooks.checkpoint.update(interval=steps)
    cfg.work_dir = work_dir
    cfg.experiment_name = algorithm
    cfg.log_level = 'WARNING'
    return cfg


class PassCounter(Hook):
    """Counts the backbone's forward passes inside training iterations: with gradients (each one backward) and
    without (CafeNet's placement scoring); validation and batch-norm recalibration are not counted."""

    def __init__(self):
        self.counts = dict(backward=0, no_grad=0)
        self._training = False

    def before_run(self, runner) -> None:
        algorithm_of(runner, 'supernet_ranking').architecture.backbone.register_forward_hook(self._count)

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self._training = True

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._training = False

    def _count(self, module, args, output) -> None:
        if self._training:
            self.counts['backward' if torch.is_grad_enabled() else 'no_grad'] += 1


def train_and_score(algorithm: str, table: dict, recipe: dict, args) -> Optional[dict]:
    """Trains (or reloads) the algorithm's supernet and scores every arch of the table (``None`` with
    ``--train-only``)."""
    work_dir = osp.join(args.work_dir, algorithm)
    scores_path, trained_path = osp.join(work_dir, 'scores.json'), osp.join(work_dir, 'trained.json')
    saved = read_json(scores_path)
    if saved and set(table) <= set(saved['scores']) and saved['settings'] == settings(args, recipe):
        return saved
    cfg = supernet_config(algorithm, recipe, args.passes, work_dir)
    runner = build_runner(cfg)
    trained = read_json(trained_path)
    if trained and trained['settings'] == settings(args, recipe) and osp.isfile(trained['checkpoint']):
        runner.load_checkpoint(trained['checkpoint'])
    else:
        counter = PassCounter()
        runner.register_hook(counter)
        runner.train()
        trained = dict(passes=counter.counts['backward'], scoring_forwards=counter.counts['no_grad'],
                       largest_val_top1=float(runner.message_hub.get_scalar('val/accuracy/top1').current()),
                       checkpoint=osp.join(work_dir, f'iter_{cfg.train_cfg.max_iters}.pth'),
                       settings=settings(args, recipe))
        write_json(trained_path, trained)
    if args.train_only:
        return None
    subject = SearchSubject.from_runner(runner)
    split_loader = cfg.val_dataloader if args.score_split == 'val' else cfg.test_dataloader
    scorer = SupernetScorer(runner, subject, dataloader=split_loader, evaluator=cfg.val_evaluator,
                            calibration_dataloader=cfg.train_dataloader,
                            calibration_batches=args.calibration_batches)
    scores = {}
    for arch in table:
        widths = subject.space.check_subnet(arch_to_subnet('resnet', arch), source=f'arch {arch}')
        scores[arch] = scorer.score(widths)['score']
    result = dict(trained, scores=scores)
    write_json(scores_path, result)
    return result


def read_json(path: str) -> Optional[dict]:
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def write_json(path: str, data: dict) -> None:
    with open(path, 'w') as f:
        json.dump(data, f, indent=1)


def settings(args, recipe: dict) -> dict:
    return dict(passes=args.passes, score_split=args.score_split, calibration_batches=args.calibration_batches,
                recipe=recipe)


def benchmark(args) -> dict:
    table = load_cbm_table(args.table)
    recipe = table_recipe(args.table)
    if args.train_only:
        for algorithm in args.algorithms:
            train_and_score(algorithm, table, recipe, args)
        return dict(trained=args.algorithms)
    rows = []
    for algorithm in args.algorithms:
        result = train_and_score(algorithm, table, recipe, args)
        rows.append(dict(algorithm=algorithm, **ranking_metrics(table, result['scores']),
                         passes=result['passes'], scoring_forwards=result['scoring_forwards'],
                         largest_val_top1=result['largest_val_top1']))
    return dict(ceiling_tau=seed_to_seed_tau(table), archs=len(table), score_split=args.score_split, rows=rows)


def print_table(result: dict) -> None:
    print(f'{result["archs"]} archs, scored on {result["score_split"]}; '
          f'ceiling (seed-to-seed Kendall tau): {result["ceiling_tau"]:.3f}')
    print(f'{"algorithm":<10} {"Kendall tau":>11} {"Spearman":>9} {"regret@25%":>11} {"regret@50%":>11} '
          f'{"passes":>7} {"+no-grad":>8} {"largest top-1":>13}')
    for row in result['rows']:
        print(f'{row["algorithm"]:<10} {row["kendall_tau"]:>11.3f} {row["spearman"]:>9.3f} '
              f'{row["regret_25"]:>11.2f} {row["regret_50"]:>11.2f} {row["passes"]:>7} '
              f'{row["scoring_forwards"]:>8} {row["largest_val_top1"]:>13.2f}')


def main():
    args = parse_args()
    run_and_report(lambda: benchmark(args), args.json or args.train_only, print_table)


if __name__ == '__main__':
    main()
