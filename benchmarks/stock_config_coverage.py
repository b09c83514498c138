"""How many stock OpenMMLab configs trace and verify: for each config of a list, the width space (groups,
searchable groups, traced entries) and ``verify_subnets`` with one random subnet for the left, right and random
sharing patterns, each config in its own process (a crash or a hang costs one row). Prints a table with each
config's wall time and the pass rate; ``--out`` keeps one JSON line per config and skips the configs already there
(a killed run resumes). A config of a codebase that is not installed (mmseg, mmpose: the optional ``[seg]`` and
``[pose]`` extras) is skipped, with the reason, and not counted.

    python benchmarks/stock_config_coverage.py LIST [--out rows.jsonl] [--timeout 600]
    python benchmarks/stock_config_coverage.py benchmarks/stock_configs_seg.txt   # mmseg's, with .[seg] installed
    python benchmarks/stock_config_coverage.py benchmarks/stock_configs_pose.txt  # mmpose's, with .[pose] installed

LIST has one config a line: ``PACKAGE RELATIVE_PATH C,H,W`` (e.g. ``mmdet faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py
3,64,64``), the path relative to the package's shipped ``.mim/configs``.
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ONE_CONFIG = r'''
import importlib, json, sys
from pathlib import Path
from mmwidth.apis import load_model_and_space, verify_subnets
root = Path(importlib.import_module(sys.argv[1]).__file__).parent / '.mim' / 'configs'
path, shape = str(root / sys.argv[2]), tuple(int(v) for v in sys.argv[3].split(','))
_, space, _ = load_model_and_space(path, shape)
rows = verify_subnets(path, num_random=1, input_shape=shape)
bad = [(r['pattern'], r['max_abs_diff'], r['flops'] - r['flops_counted'], r['params'] - r['params_counted'])
       for r in rows if not r['ok']]
print('ROW ' + json.dumps(dict(groups=len(space.graph.groups), searchable=len(space.names),
                               entries=list(space.graph.entries), verify='ok' if not bad else f'mismatch {bad}')))
'''


def run_one(package: str, relative: str, shape: str, timeout: int) -> dict:
    row = dict(config=f'{package}:{relative}', shape=shape)
    if importlib.util.find_spec(package) is None:
        return dict(row, verify=f'skipped: {package} is not installed')
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, '-c', ONE_CONFIG, package, relative, shape], capture_output=True,
                              text=True, timeout=timeout, env=dict(os.environ))
    except subprocess.TimeoutExpired:
        return dict(row, verify=f'timeout after {timeout} s')
    row['seconds'] = round(time.perf_counter() - start, 1)
    lines = [line for line in done.stdout.splitlines() if line.startswith('ROW ')]
    if lines:
        return dict(row, **json.loads(lines[-1][4:]))
    error = (done.stderr.strip().splitlines() or ['no output'])[-1]
    return dict(row, verify=f'error: {error[:300]}')


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('configs', help='the list of configs')
    parser.add_argument('--out', help='JSON lines file of the rows (resumed when it exists)')
    parser.add_argument('--timeout', type=int, default=600, help='seconds per config')
    args = parser.parse_args()
    rows = [json.loads(line) for line in Path(args.out).read_text().splitlines()] \
        if args.out and Path(args.out).is_file() else []
    done = {row['config'] for row in rows}
    for line in Path(args.configs).read_text().splitlines():
        if not line.strip() or line.startswith('#'):
            continue
        package, relative, shape = line.split()
        if f'{package}:{relative}' in done:
            continue
        rows.append(run_one(package, relative, shape, args.timeout))
        if args.out:
            with open(args.out, 'a') as f:
                f.write(json.dumps(rows[-1]) + '\n')
    print('| config | entries | groups | searchable | verify | seconds |\n|---|---|---|---|---|---|')
    for row in rows:
        print(f"| {row['config']} | {' + '.join(row.get('entries', []))} | {row.get('groups', '')} | "
              f"{row.get('searchable', '')} | {row['verify']} | {row.get('seconds', '')} |")
    counted = [row for row in rows if not row['verify'].startswith('skipped')]
    passed = sum(row['verify'] == 'ok' for row in counted)
    seconds = sum(row.get('seconds', 0) for row in counted)
    print(f'\n{passed} of {len(counted)} configs trace and verify ({100 * passed / max(len(counted), 1):.0f}%) in '
          f'{seconds / 60:.1f} min' + (f'; {len(rows) - len(counted)} skipped' if len(counted) < len(rows) else ''))


if __name__ == '__main__':
    main()
