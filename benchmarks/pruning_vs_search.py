"""Pruning (Dagger) against width search (BCNet) and the uniform-width model, on the digits dataset.

At each FLOPs budget (a fraction of the full Channel-Bench-Macro ResNet's FLOPs, FLOPs kept) three subnets are
taken from one trained BCNet digits supernet (configs/bcnet/bcnet_cbm-resnet_digits.py, trained here unless
``--supernet`` gives its checkpoint), whose full width serves as the pretrained model:

- Dagger: gating from the supernet's full network (configs/dagger/dagger_cbm-resnet_digits.py with load_from),
  until the hard gates are within 1% of the budget; its kept channels exported;
- uniform: every group at the same fraction of its channels (the leftmost ones), the largest such model within
  the budget;
- BCNet: the evolutionary search of configs/bcnet/bcnet_cbm-resnet_search_digits.py at the budget, its best side.

Each is exported with tools/export_subnet.py's library function (the supernet's weights, recalibrated norms),
fine-tuned with the same recipe and number of iterations for every seed, and tested on the digits test split.
Prints a table of the mean and std of the test top-1 over the seeds (``--json``: only JSON). Outputs are kept in
``--work-dir``: a rerun reuses the finished steps.
"""
import argparse
import json
import os
import os.path as osp
import sys

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmwidth.apis.export import export_subnet  # noqa: E402
from mmwidth.apis.search import run_search  # noqa: E402
from mmwidth.search.uniform import uniform_subnet  # noqa: E402
from mmwidth.space.subnet_file import save_subnet  # noqa: E402
from mmwidth.utils.cli import run_and_report  # noqa: E402
from mmwidth.utils.config import build_model, load_config  # noqa: E402
from mmwidth.utils.entry_points import build_runner  # noqa: E402

SUPERNET = osp.join(ROOT, 'configs', 'bcnet', 'bcnet_cbm-resnet_digits.py')
SEARCH = osp.join(ROOT, 'configs', 'bcnet', 'bcnet_cbm-resnet_search_digits.py')
DAGGER = osp.join(ROOT, 'configs', 'dagger', 'dagger_cbm-resnet_digits.py')
METHODS = ('dagger', 'uniform', 'bcnet')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'pruning_vs_search'))
    parser.add_argument('--supernet', help='a trained BCNet digits supernet checkpoint (default: train one)')
    parser.add_argument('--supernet-iters', type=int, default=200)
    parser.add_argument('--budgets', type=float, nargs='+', default=[0.5, 0.3], help='fractions of FLOPs kept')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--gating-iters', type=int, default=400, help='most Dagger gating iterations')
    parser.add_argument('--search-evaluations', type=int, default=32)
    parser.add_argument('--finetune-iters', type=int, default=60)
    parser.add_argument('--batch-size', type=int, default=32, help='fine-tuning batch')
    parser.add_argument('--json', action='store_true', help='print only JSON')
    return parser.parse_args()


def run_training(config, work_dir: str, **options) -> object:
    cfg = load_config(config) if isinstance(config, str) else config
    cfg.merge_from_dict(dict(work_dir=work_dir, experiment_name=osp.basename(work_dir), log_level='WARNING',
                             **options))
    runner = build_runner(cfg)
    runner.train()
    return runner


def supernet_checkpoint(args) -> str:
    if args.supernet:
        return args.supernet
    work = osp.join(args.work_dir, 'supernet')
    done = osp.join(work, f'iter_{args.supernet_iters}.pth')
    if not osp.isfile(done):
        run_training(SUPERNET, work, **{'train_cfg.max_iters': args.supernet_iters,
                                        'param_scheduler.1.end': args.supernet_iters})
    return done


def subnet_files(args, checkpoint: str, budget: float) -> dict:
    """The exported model directory of each method at ``budget`` (computed once, then reused)."""
    root = osp.join(args.work_dir, f'budget{budget * 100:g}')
    exports = {method: osp.join(root, method, 'export') for method in METHODS}
    if not osp.isfile(osp.join(exports['dagger'], 'config.py')):
        work = osp.join(root, 'dagger')
        run_training(DAGGER, work, **{'load_from': checkpoint, 'model.pretrain_iters': 0,
                                      'model.flops_target': budget, 'train_cfg.max_iters': args.gating_iters,
                                      'train_cfg.val_interval': 10**6})
        if not osp.isfile(osp.join(work, 'subnet.json')):
            raise RuntimeError(f'Dagger did not reach {budget:.0%} FLOPs in {args.gating_iters} iterations')
        with open(osp.join(work, 'last_checkpoint')) as f:
            gated = f.read().strip()
        export_subnet(load_config(DAGGER), osp.join(work, 'subnet.json'), gated, exports['dagger'])
    if not osp.isfile(osp.join(exports['uniform'], 'config.py')):
        space = build_model(load_config(SUPERNET)).space
        path = osp.join(root, 'uniform', 'subnet.json')
        os.makedirs(osp.dirname(path), exist_ok=True)
        save_subnet(path, uniform_subnet(space, budget * space.flops(space.full())))
        export_subnet(load_config(SUPERNET), path, checkpoint, exports['uniform'], side='left')
    if not osp.isfile(osp.join(exports['bcnet'], 'config.py')):
        work = osp.join(root, 'bcnet')
        run_search(SEARCH, checkpoint, work, {'train_cfg.budget.flops': f'{budget * 100:g}%',
                                              'train_cfg.max_evaluations': args.search_evaluations,
                                              'train_cfg.plot': False, 'experiment_name': f'search{budget}',
                                              'log_level': 'WARNING'})
        export_subnet(load_config(SEARCH), osp.join(work, 'search_result.json'), checkpoint, exports['bcnet'])
    return exports


def finetune_and_test(args, export_dir: str, seed: int) -> dict:
    """Top-1 on the test split after the same fine-tuning of every method; cached in the export directory."""
    result_file = osp.join(export_dir, f'finetune_seed{seed}.json')
    if osp.isfile(result_file):
        with open(result_file) as f:
            return json.load(f)
    cfg = load_config(osp.join(export_dir, 'config.py'))
    iters = args.finetune_iters
    cfg.optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4, nesterov=True))
    cfg.param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=False, begin=0, end=iters, eta_min=1e-4)]
    cfg.custom_hooks = []
    cfg.model_wrapper_cfg = dict(type='mmwidth.WidthSearchDDP')
    runner = run_training(cfg, osp.join(export_dir, f'finetune_seed{seed}'), **{
        'train_cfg.max_iters': iters, 'train_cfg.val_interval': 10**6, 'randomness.seed': seed,
        'train_dataloader.batch_size': args.batch_size, 'default_hooks.checkpoint.interval': 10**6,
        'default_hooks.checkpoint.save_last': False})
    metrics = runner.test()
    with open(osp.join(export_dir, 'subnet.json')) as f:
        subnet = json.load(f)
    space = build_model(load_config(SUPERNET)).space
    widths = space.check_subnet(subnet)
    result = dict(top1=float(metrics['accuracy/top1']), flops=space.flops(widths))
    with open(result_file, 'w') as f:
        json.dump(result, f)
    return result


def benchmark(args) -> list:
    checkpoint = supernet_checkpoint(args)
    full = build_model(load_config(SUPERNET)).space
    full_flops = full.flops(full.full())
    rows = []
    for budget in args.budgets:
        exports = subnet_files(args, checkpoint, budget)
        for method in METHODS:
            results = [finetune_and_test(args, exports[method], seed) for seed in args.seeds]
            top1 = np.array([r['top1'] for r in results])
            rows.append(dict(budget=budget, method=method, flops_fraction=results[0]['flops'] / full_flops,
                             top1_mean=float(top1.mean()), top1_std=float(top1.std()), seeds=len(top1)))
    return rows


def print_table(args, rows: list) -> None:
    print(f'digits, Channel-Bench-Macro ResNet: {args.finetune_iters} fine-tuning iterations, seeds {args.seeds}')
    print(f'{"budget":>6} {"method":<8} {"FLOPs kept":>10} {"test top-1 (%)":>16}')
    for row in rows:
        print(f'{row["budget"]:>6.0%} {row["method"]:<8} {row["flops_fraction"]:>10.3f} '
              f'{row["top1_mean"]:>9.2f} ± {row["top1_std"]:.2f}')


def main():
    args = parse_args()
    run_and_report(lambda: dict(rows=benchmark(args)), args.json, lambda result: print_table(args, result['rows']))


if __name__ == '__main__':
    main()
