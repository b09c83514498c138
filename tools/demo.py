"""mmwidth's main job end to end on an embedded dataset (made from scikit-learn's handwritten digits), on a CPU:

1. train a width supernet of the task,
2. search the best widths at 50% of the largest subnet's FLOPs (for detection: of the backbone's FLOPs),
3. export the found subnet as a plain, smaller model,
4. test the full-width model and the found subnet on the held-out test split,

then print a short table (``--json``: only a JSON object, progress on stderr). Each step is an ordinary tool
(tools/train.py, for the supernet and for the search config with ``load_from`` the supernet; export_subnet.py,
test.py) run as it would be by hand, so the commands printed along the way can be rerun one by one.

Tasks (``--task``): ``classification`` (the digits, a BCNet supernet of the Channel-Bench-Macro ResNet space);
``detection`` (the digits pasted onto 64x64 canvases in COCO format, a BCNet supernet of a narrow FCOS whose
backbone is searched at half the backbone's FLOPs, scored by COCO box mAP); ``attributes`` (40 binary attributes
of 2x2 digit mosaics in CelebA's format, the same supernet with a multi-label head, scored by the mean attribute
accuracy against the majority vote of each attribute).
"""
import argparse
import json
import os.path as osp
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import partial
from typing import Callable, Optional

from mmwidth.apis import get_flops
from mmwidth.utils.cli import print_json, tool_session

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@dataclass(frozen=True)
class DemoTask:
    """What the demo of one task runs and reports.

    Args:
        supernet_config / search_config: the configs the four steps run (paths relative to the repository).
        metric: the key of ``tools/test.py``'s metrics that scores a model (the search maximises the same one).
        iters: default supernet training iterations.
        scope: the module prefix the budget counts (``'backbone'`` of a detector), None for the whole model.
        percent: the metric is in [0, 1] and is reported in percent.
        baseline: the score of a trivial predictor (e.g. the majority vote of each attribute), if it has one.
    """
    supernet_config: str
    search_config: str
    metric: str
    iters: int = 200
    scope: Optional[str] = None
    percent: bool = False
    baseline: Optional[Callable[[], float]] = None


def majority_baseline(config: str) -> float:
    """Mean attribute accuracy (%) on a config's test split of each attribute's majority value in its train split:
    the score of predicting without looking at the image."""
    from mmengine.config import Config
    from mmengine.registry import DATASETS, init_default_scope

    from mmwidth.evaluation import majority_vote_accuracy
    cfg = Config.fromfile(osp.join(ROOT, config))
    init_default_scope(cfg.get('default_scope', 'mmwidth'))
    matrices = []
    for split in ('train', 'test'):
        dataset = dict(cfg[f'{split}_dataloader'].dataset, pipeline=[])
        dataset['data_root'] = osp.join(ROOT, dataset['data_root'])  # as the tools see it, from the repository
        matrices.append(DATASETS.build(dataset).attribute_matrix())
    return majority_vote_accuracy(*matrices)


TASKS = dict(
    classification=DemoTask('configs/bcnet/bcnet_cbm-resnet_digits.py',
                            'configs/bcnet/bcnet_cbm-resnet_search_digits.py', metric='accuracy/top1'),
    detection=DemoTask('configs/bcnet/bcnet_fcos_r18-narrow_fpn_digits.py',
                       'configs/bcnet/bcnet_fcos_r18-narrow_fpn_search_digits.py', metric='coco/bbox_mAP',
                       iters=1500, scope='backbone'),
    attributes=DemoTask('configs/bcnet/bcnet_cbm-resnet_celeba-mosaics.py',
                        'configs/bcnet/bcnet_cbm-resnet_search_celeba-mosaics.py', metric='attributes/mean_accuracy',
                        iters=400,
                        baseline=partial(majority_baseline, 'configs/bcnet/bcnet_cbm-resnet_celeba-mosaics.py')),
)


class Demo:
    """The four steps of one task's demo, printing each command; with ``quiet`` the tools' output goes to stderr."""

    def __init__(self, task: DemoTask, work_dir: str, quiet: bool):
        self.task = task
        self.work = work_dir
        self.out = sys.stderr if quiet else sys.stdout

    def run(self, step: str, *args: str) -> None:
        command = [sys.executable, *args]
        print(f'\n==> {step}\n    {" ".join(command)}', file=self.out, flush=True)
        started = time.time()
        if subprocess.call(command, cwd=ROOT, stdout=self.out) != 0:
            sys.exit(f'demo stopped: {step} failed (its messages are above)')
        print(f'    ({step}: {time.time() - started:.0f} s)', file=self.out, flush=True)

    def score(self, config: str, checkpoint: str, name: str) -> float:
        out = osp.join(self.work, name, 'metrics.json')
        self.run(f'4/4 testing {checkpoint} on the test split', 'tools/test.py', config, checkpoint, '--work-dir',
                 osp.dirname(out), '--out', out, '--out-item', 'metrics')
        with open(osp.join(ROOT, out)) as f:
            value = json.load(f)[self.task.metric]
        return 100 * value if self.task.percent else value

    def costs(self, config: str, subnet: Optional[str] = None) -> dict:
        """FLOPs and params of a model (and of its budget's scope), as the search counts them."""
        with tool_session(json_output=True):  # building the model logs to stdout
            costs = get_flops(osp.join(ROOT, config), subnet)
            if self.task.scope:
                scoped = get_flops(osp.join(ROOT, config), subnet, scope=self.task.scope)
                costs[f'{self.task.scope}_flops'] = scoped['flops']
        return costs

    def main(self, iters: int) -> dict:
        task, work = self.task, self.work
        shutil.rmtree(osp.join(ROOT, work), ignore_errors=True)
        supernet_dir, search_dir, subnet_dir = (osp.join(work, d) for d in ('supernet', 'search', 'subnet'))
        self.run('1/4 training the supernet', 'tools/train.py', task.supernet_config, '--work-dir', supernet_dir,
                 '--cfg-options', f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}')
        checkpoint = osp.join(supernet_dir, f'iter_{iters}.pth')
        self.run('2/4 searching the widths at 50% of the FLOPs', 'tools/train.py', task.search_config,
                 '--work-dir', search_dir, '--cfg-options', f'load_from={checkpoint}')
        result_file = osp.join(search_dir, 'search_result.json')
        self.run('3/4 exporting the found subnet', 'tools/export_subnet.py', task.search_config, result_file,
                 '--checkpoint', checkpoint, '--out', subnet_dir)
        with open(osp.join(ROOT, result_file)) as f:
            result = json.load(f)
        full = dict(self.costs(task.supernet_config),
                    score=self.score(task.supernet_config, checkpoint, 'test_full'))
        found = dict(self.costs(task.search_config, osp.join(ROOT, subnet_dir, 'subnet.json')),
                     score=self.score(osp.join(subnet_dir, 'config.py'), osp.join(subnet_dir, 'model.pth'),
                                      'test_subnet'),
                     search_score=100 * result['score'] if task.percent else result['score'])
        budget = dict(flops=int(result['budget']['limits']['flops']))
        if task.scope:
            budget['scope'] = task.scope
        summary = dict(budget=budget, full=full, found=found, result=result,
                       plots=dict(fairness=osp.join(supernet_dir, 'channel_fairness.png'),
                                  population=osp.join(search_dir, 'search_population.png'),
                                  widths=osp.join(search_dir, 'search_widths.png')))
        if task.baseline is not None:
            summary['baseline'] = task.baseline()
        return summary


def print_table(task_name: str, summary: dict, minutes: float) -> None:
    print(f'\n==> {task_name}: results ({minutes:.1f} min in all)\n')
    scope = summary['budget'].get('scope')
    columns = [('FLOPs (M)', 'flops')] + ([(f'{scope} FLOPs (M)', f'{scope}_flops')] if scope else []) + \
        [('params (M)', 'params')]
    header = f'{"model":<30}' + ''.join(f' {title:>18}' for title, _ in columns) + f' {"test score":>11}'
    print(header)
    rows = (('full width (supernet)', summary['full']), ('found subnet (50% budget)', summary['found']))
    for label, row in rows:
        print(f'{label:<30}' + ''.join(f' {row[key] / 1e6:>18.3f}' for _, key in columns) + f' {row["score"]:>11.2f}')
    if 'baseline' in summary:
        print(f'{"baseline (trivial predictor)":<30}' + ' ' * (19 * len(columns)) + f' {summary["baseline"]:>11.2f}')
    print(f'\nscore of the found subnet in the search: {summary["found"]["search_score"]:.2f}')
    result = summary['result']
    print('\nfound widths (channels of full):')
    for name, width in result['subnet'].items():
        print(f'  {name:<36} {width:>4} of {result["groups"][name]}')
    print('\nplots:')
    for label, path in summary['plots'].items():
        print(f'  {label:<12} {path}')


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--task', choices=sorted(TASKS), default='classification')
    parser.add_argument('--work-dir', help='default: work_dirs/demo_<task>')
    parser.add_argument('--iters', type=int, help='supernet training iterations (default: the task\'s)')
    parser.add_argument('--json', action='store_true', help='print only a JSON summary (progress goes to stderr)')
    args = parser.parse_args()
    task = TASKS[args.task]
    started = time.time()
    summary = Demo(task, args.work_dir or f'work_dirs/demo_{args.task}', quiet=args.json).main(args.iters or task.iters)
    if args.json:
        keys = ('budget', ) + (('baseline', ) if 'baseline' in summary else ()) + ('full', 'found')
        print_json(dict(task=args.task, **{key: summary[key] for key in keys}))
    else:
        print_table(args.task, summary, (time.time() - started) / 60)


if __name__ == '__main__':
    main()
