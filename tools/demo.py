"""mmwidth's main job end to end on its embedded dataset (scikit-learn's handwritten digits), on a CPU:

1. train a BCNet supernet of the Channel-Bench-Macro ResNet space,
2. search the best widths at 50% of the largest subnet's FLOPs,
3. export the found subnet as a plain, smaller model,
4. test the full-width model and the found subnet on the held-out test split,

then print a short table. Each step is an ordinary tool (tools/train.py, search.py, export_subnet.py, test.py)
run as it would be by hand, so the commands printed along the way can be rerun one by one.
"""
import argparse
import json
import os.path as osp
import shutil
import subprocess
import sys
import time

from mmwidth.apis import get_flops
from mmwidth.utils.cli import tool_session

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SUPERNET_CONFIG = 'configs/bcnet/bcnet_cbm-resnet_digits.py'
SEARCH_CONFIG = 'configs/bcnet/bcnet_cbm-resnet_search_digits.py'


def run(step: str, *args: str) -> None:
    command = [sys.executable, *args]
    print(f'\n==> {step}\n    {" ".join(command)}', flush=True)
    started = time.time()
    if subprocess.call(command, cwd=ROOT) != 0:
        sys.exit(f'demo stopped: {step} failed (its messages are above)')
    print(f'    ({step}: {time.time() - started:.0f} s)', flush=True)


def test_accuracy(config: str, checkpoint: str, out: str) -> float:
    run(f'4/4 testing {checkpoint} on the test split', 'tools/test.py', config, checkpoint, '--work-dir',
        osp.dirname(out), '--out', out, '--out-item', 'metrics')
    with open(osp.join(ROOT, out)) as f:
        return json.load(f)['accuracy/top1']


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--iters', type=int, default=200, help='supernet training iterations')
    args = parser.parse_args()
    work = args.work_dir
    shutil.rmtree(osp.join(ROOT, work), ignore_errors=True)
    started = time.time()

    supernet_dir, search_dir, subnet_dir = (osp.join(work, d) for d in ('supernet', 'search', 'subnet'))
    run('1/4 training the BCNet supernet', 'tools/train.py', SUPERNET_CONFIG, '--work-dir', supernet_dir,
        '--cfg-options', f'train_cfg.max_iters={args.iters}', f'train_cfg.val_interval={args.iters}')
    checkpoint = osp.join(supernet_dir, f'iter_{args.iters}.pth')
    run('2/4 searching the widths at 50% of the FLOPs', 'tools/search.py', SEARCH_CONFIG, '--checkpoint',
        checkpoint, '--work-dir', search_dir)
    result_file = osp.join(search_dir, 'search_result.json')
    run('3/4 exporting the found subnet', 'tools/export_subnet.py', SEARCH_CONFIG, result_file, '--checkpoint',
        checkpoint, '--out', subnet_dir)
    full = test_accuracy(SUPERNET_CONFIG, checkpoint, osp.join(work, 'test_full', 'metrics.json'))
    found = test_accuracy(osp.join(subnet_dir, 'config.py'), osp.join(subnet_dir, 'model.pth'),
                          osp.join(work, 'test_subnet', 'metrics.json'))

    with open(osp.join(ROOT, result_file)) as f:
        result = json.load(f)
    with tool_session(json_output=True):  # building the model logs to stdout; keep it for the table
        full_cost = get_flops(osp.join(ROOT, SUPERNET_CONFIG))
    print(f'\n==> results ({(time.time() - started) / 60:.1f} min in all)\n')
    print(f'{"model":<30} {"FLOPs (M)":>10} {"params (M)":>11} {"test top-1 (%)":>15}')
    for label, cost, accuracy in (('full width (supernet)', full_cost, full),
                                  ('found subnet (50% budget)', result, found)):
        print(f'{label:<30} {cost["flops"] / 1e6:>10.2f} {cost["params"] / 1e6:>11.3f} {accuracy:>15.2f}')
    print('\nfound widths (channels of full):')
    for name, width in result['subnet'].items():
        print(f'  {name:<28} {width:>4} of {result["groups"][name]}')
    print('\nplots:')
    print(f'  channel fairness of the supernet: {osp.join(supernet_dir, "channel_fairness.png")}')
    print(f'  searched population, Pareto front: {osp.join(search_dir, "search_population.png")}')
    print(f'  chosen widths vs full widths:      {osp.join(search_dir, "search_widths.png")}')


if __name__ == '__main__':
    main()
