"""Make a Channel-Bench-Macro-style ground-truth table on the embedded digits.

Trains ``--num-archs`` archs of the CBM ResNet space (the two extremes and one seeded choice per FLOPs stratum)
stand-alone from scratch, ``--seeds`` runs each, with one fixed recipe (mmwidth.ground_truth.digits_bench.Recipe),
and writes ``{arch: {"acc", "mean", "std", "flops", "params"}}`` with test-split top-1 accuracies (%). The
table is written after every run and runs already in it are skipped, so an interrupted run resumes; the
recipe, the seed-to-seed Kendall tau and the timings go to the sidecar ``<table>.meta.json``. Several processes
may work on one table at once (each claims its next run under a file lock).

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
from typing import Iterator, List, Optional, Tuple

import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

import mmwidth.models  # noqa: E402,F401  (registers the CBM backbones)
from mmwidth.ground_truth.digits_bench import (Recipe, arch_costs, choose_archs, digits_data_options,  # noqa: E402
                                             seed_to_seed_tau, table_record, train_arch)
from mmwidth.utils.errors import WidthSearchError  # noqa: E402

CHUNK = 16  # archs trained with every seed before the next ones


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', default=osp.join(ROOT, 'benchmarks', 'data', 'digits_cbm-resnet.json'))
    parser.add_argument('--num-archs', type=int, default=64)
    parser.add_argument('--seeds', type=int, default=2, help='runs per arch (seeds 0 .. N-1)')
    parser.add_argument('--arch-seed', type=int, default=0, help='seed of the choice of archs')
    parser.add_argument('--iterations', type=int, default=Recipe.iterations)
    parser.add_argument('--image-size', type=int, default=Recipe.image_size)
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
    archs = choose_archs(args.num_archs, recipe.image_size, args.arch_seed)
    costs = arch_costs(archs, recipe.image_size)
    data = digits_data_options(recipe.image_size, recipe.padding)
    # chunks of archs, all seeds of a chunk before the next one: a partial table already has a seed-to-seed tau
    order = [(arch, seed) for i in range(0, len(archs), CHUNK) for seed in range(args.seeds)
             for arch in archs[i:i + CHUNK]]
    while True:
        with locked(args.out):
            run = claim_next_run(args.out, order)
        if run is None:
            break
        arch, seed = run
        start = time.time()
        accuracy = train_arch(arch, seed, recipe, args.device, data)
        elapsed = round(time.time() - start, 2)
        with locked(args.out):  # other workers write the same files: re-read, add this run, write
            table, meta = read_json(args.out, {}), read_json(meta_path, {})
            table[arch] = table_record(table.get(arch, {}).get('acc', [])[:seed] + [accuracy], **costs[arch])
            seconds = dict(meta.get('run_seconds', {}), **{f'{arch}/{seed}': elapsed})
            meta.update(recipe=asdict(recipe), device=args.device, threads=torch.get_num_threads(),
                        host=platform.processor() or platform.machine(), cpu_count=os.cpu_count(),
                        run_seconds=seconds, total_run_seconds=round(sum(seconds.values()), 1))
            done = {a: r for a, r in table.items() if len(r['acc']) >= 2}
            if len(done) >= 2:
                meta.update(seed_to_seed_tau=seed_to_seed_tau(done), archs_with_two_runs=len(done))
            write_json(args.out, table)
            write_json(meta_path, meta)
        print(f'{arch} seed {seed}: {accuracy:.2f}% ({elapsed:.1f} s); {len(done)} archs with 2 runs, '
              f'seed-to-seed tau {meta.get("seed_to_seed_tau", float("nan")):.3f}', flush=True)
    meta = read_json(meta_path, {})
    print(json.dumps({k: meta[k] for k in ('total_run_seconds', 'seed_to_seed_tau') if k in meta}))


def claim_next_run(out: str, order: List[Tuple[str, int]]) -> Optional[Tuple[str, int]]:
    """The first (arch, seed) run that is neither in the table nor claimed by a live worker and whose earlier
    seeds are in the table (accuracies are listed by seed), claimed for this process; None when all are done."""
    table, claims_path = read_json(out, {}), f'{out}.claims.json'
    claims = {run: pid for run, pid in read_json(claims_path, {}).items() if alive(pid)}
    pending = False
    for arch, seed in order:
        runs = len(table.get(arch, {}).get('acc', []))
        if runs > seed:
            continue
        pending = True
        if runs == seed and f'{arch}/{seed}' not in claims:
            claims[f'{arch}/{seed}'] = os.getpid()
            write_json(claims_path, claims)
            return arch, seed
    if pending:  # runs remain but wait for other workers' earlier seeds: this worker stops
        return None
    if osp.isfile(claims_path):
        os.remove(claims_path)
    return None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


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
