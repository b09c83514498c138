"""Make a Channel-Bench-Macro-style ground-truth table on the embedded digits.

Trains ``--num-archs`` archs of the CBM ResNet space (the two extremes and one seeded choice per FLOPs stratum)
stand-alone from scratch, ``--seeds`` runs each, with one fixed recipe (mmwidth.benchmarks.digits_bench.Recipe),
and writes ``{arch: {"acc", "mean", "std", "flops", "params"}}`` with test-split top-1 accuracies (%). The
table is written after every run and runs already in it are skipped, so an interrupted run resumes; the
recipe, the seed-to-seed Kendall tau and the timings go to the sidecar ``<table>.meta.json``.

    python benchmarks/make_digits_bench.py [--out benchmarks/data/digits_cbm-resnet.json] [--device cuda]
"""
import argparse
import fcntl
import json
import os
import os.path as osp
import platform
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict
from typing import Iterator

import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

import mmwidth.benchmarks  # noqa: E402,F401  (registers the CBM backbones)
from mmwidth.benchmarks.digits_bench import (Recipe, arch_costs, choose_archs, digits_data_options,  # noqa: E402
                                             seed_to_seed_tau, table_record, train_arch)
from mmwidth.utils.errors import WidthSearchError  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', default=osp.join(ROOT, 'benchmarks', 'data', 'digits_cbm-resnet.json'))
    parser.add_argument('--num-archs', type=int, default=64)
    parser.add_argument('--seeds', type=int, default=2, help='runs per arch (seeds 0 .. N-1)')
    parser.add_argument('--arch-seed', type=int, default=0, help='seed of the choice of archs')
    parser.add_argument('--iterations', type=int, default=Recipe.iterations)
    parser.add_argument('--image-size', type=int, default=Recipe.image_size)
    parser.add_argument('--shard', default='0/1', help='I/N: train only the archs whose index is I modulo N '
                        '(N processes share the table file)')
    parser.add_argument('--chunk', type=int, default=16, help='archs trained with every seed before the next')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads (default: torch\'s)')
    return parser.parse_args()


def read_json(path: str, default):
    if not osp.isfile(path):
        return default
    with open(path) as f:
        return json.load(f)


def write_json(path: str, data) -> None:
    """Written to a temporary file and renamed, so an interruption never leaves half a table."""
    tmp = f'{path}.{os.getpid()}.tmp'
    with open(tmp, 'w') as f:
        json.dump(data, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    recipe = Recipe(iterations=args.iterations, image_size=args.image_size)
    meta_path = osp.splitext(args.out)[0] + '.meta.json'
    meta = read_json(meta_path, {})
    if meta.get('recipe', asdict(recipe)) != asdict(recipe):
        raise WidthSearchError(f'{args.out} was made with the recipe {meta["recipe"]}, not {asdict(recipe)}: '
                               'choose another --out')
    index, shards = (int(part) for part in args.shard.split('/'))
    archs = choose_archs(args.num_archs, recipe.image_size, args.arch_seed)
    costs = arch_costs(archs, recipe.image_size)
    data = digits_data_options(recipe.image_size, recipe.padding)
    mine = archs[index::shards]
    # chunks of archs, all seeds of a chunk before the next one: a partial table already has a seed-to-seed tau
    chunks = [mine[i:i + args.chunk] for i in range(0, len(mine), args.chunk)]
    for chunk, seed, arch in ((c, s, a) for c in chunks for s in range(args.seeds) for a in c):
        if len(read_json(args.out, {}).get(arch, {}).get('acc', [])) > seed:
            continue
        start = time.time()
        accuracy = train_arch(arch, seed, recipe, args.device, data)
        elapsed = round(time.time() - start, 2)
        with locked(args.out):  # other shards write the same files: re-read, add this run, write
            table, meta = read_json(args.out, {}), read_json(meta_path, {})
            accs = table.get(arch, {}).get('acc', [])[:seed] + [accuracy]
            table[arch] = table_record(accs, **costs[arch])
            seconds = dict(meta.get('run_seconds', {}), **{f'{arch}/{seed}': elapsed})
            meta.update(recipe=asdict(recipe), device=args.device, threads=torch.get_num_threads(),
                        host=platform.processor() or platform.machine(), cpu_count=os.cpu_count(),
                        run_seconds=seconds, total_run_seconds=round(sum(seconds.values()), 1))
            if len(table) == len(archs) and min(len(r['acc']) for r in table.values()) >= 2:
                meta['seed_to_seed_tau'] = seed_to_seed_tau(table)
            write_json(args.out, table)
            write_json(meta_path, meta)
        print(f'{arch} seed {seed}: {accuracy:.2f}% ({elapsed:.1f} s)', flush=True)
        if arch == chunk[-1] and seed == args.seeds - 1 and args.seeds > 1:
            done = {a: r for a, r in table.items() if len(r['acc']) >= 2}
            print(f'{len(done)} archs with 2+ runs: seed-to-seed tau {seed_to_seed_tau(done):.3f}', flush=True)
    print(json.dumps({k: meta[k] for k in ('total_run_seconds', 'seed_to_seed_tau') if k in meta}))


@contextmanager
def locked(path: str) -> Iterator[None]:
    with open(f'{path}.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


if __name__ == '__main__':
    main()
