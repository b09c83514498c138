"""Make the capacity-sensitive ground-truth table: archs of a scaled-down Channel-Bench-Macro ResNet space trained
stand-alone on the embedded digit pairs (mmwidth.ground_truth.standalone.Recipe), in Channel-Bench-Macro's format.

Trains ``--num-archs`` archs (the two extremes and the archs nearest to evenly spaced FLOPs values), ``--seeds``
runs each, and writes ``{arch: {"acc", "mean", "std", "flops", "params"}}`` with test-split top-1 accuracies (%).
Before the table, ``--convergence`` archs spread over the FLOPs range are also trained with twice the schedule
(seed 0): the sidecar ``<table>.meta.json`` records how much that changes their mean accuracy and their order,
next to the recipe, every run's accuracy and wall/CPU seconds, the machine, and the table's statistics
(mmwidth.ground_truth.ranking.table_statistics).

Resumable and parallel: every finished run is written at once (atomically), runs already recorded are skipped,
and ``--workers N`` processes (or several invocations on one table) each claim their next run under a file lock.

    python benchmarks/make_ground_truth.py [--out benchmarks/data/digit-pairs_cbm-resnet-8-16.json]
        [--workers 2] [--device cuda]
"""
import argparse
import fcntl
import json
import multiprocessing
import os
import os.path as osp
import platform
import sys
import time
from contextlib import contextmanager
from typing import Iterator, List, Optional, Tuple

import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

import mmwidth.models  # noqa: E402,F401  (registers the CBM backbones)
from digit_pairs_supernets import read_json, write_json  # noqa: E402
from mmwidth.datasets.digit_pairs import DISTORTION  # noqa: E402
from mmwidth.ground_truth.ranking import kendall_tau, table_record, table_statistics  # noqa: E402
from mmwidth.ground_truth.standalone import PairTensors, Recipe, train_subnet  # noqa: E402
from mmwidth.ground_truth.table_archs import arch_costs, choose_archs  # noqa: E402
from mmwidth.utils.errors import WidthSearchError  # noqa: E402

DEFAULT_OUT = osp.join(ROOT, 'benchmarks', 'data', 'digit-pairs_cbm-resnet-8-16.json')
CHUNK = 16  # archs trained with every seed before the next ones
Run = Tuple[str, int, int]  # arch, seed, schedule multiple (1: the table's, 2: the convergence check's)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', default=DEFAULT_OUT)
    parser.add_argument('--num-archs', type=int, default=256)
    parser.add_argument('--seeds', type=int, default=2, help='runs per arch (seeds 0 .. N-1)')
    parser.add_argument('--arch-seed', type=int, default=0, help='seed of the tie-breaks in the choice of archs')
    parser.add_argument('--convergence', type=int, default=8,
                        help='archs also trained with twice the schedule (0: no convergence check)')
    parser.add_argument('--iterations', type=int, default=Recipe.iterations)
    parser.add_argument('--workers', type=int, default=1, help='processes training runs in parallel')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int, default=1, help='torch CPU threads per worker')
    return parser.parse_args()


def run_key(run: Run) -> str:
    arch, seed, multiple = run
    return f'{arch}/{seed}' + ('' if multiple == 1 else f'@{multiple}x')


def planned_runs(recipe: Recipe, archs: List[str], args) -> List[Run]:
    """The convergence check's runs (1x and 2x, seed 0) first, then the table's, in chunks of archs trained
    with every seed before the next chunk: a partial table already has a seed-to-seed tau."""
    check = choose_archs(recipe, args.convergence, args.arch_seed) if args.convergence >= 2 else []
    runs = [(arch, 0, multiple) for arch in check for multiple in (1, 2)]
    runs += [(arch, seed, 1) for i in range(0, len(archs), CHUNK) for seed in range(args.seeds)
             for arch in archs[i:i + CHUNK]]
    return list(dict.fromkeys(runs))  # a check arch's seed-0 run is also the table's


def summarise(meta: dict, costs: dict) -> dict:
    """The table built from the recorded runs (each arch's accuracies of seeds 0, 1, ... as far as they are
    contiguous), with the statistics and the convergence check written into ``meta``."""
    runs = meta['runs']
    table = {}
    for arch, cost in costs.items():
        accuracies = []
        while f'{arch}/{len(accuracies)}' in runs:
            accuracies.append(runs[f'{arch}/{len(accuracies)}']['accuracy'])
        if accuracies:
            table[arch] = table_record(accuracies, **cost)
    check = [arch for arch in meta['convergence_archs'] if f'{arch}/0' in runs and f'{arch}/0@2x' in runs]
    if len(check) >= 2:
        once = [runs[f'{arch}/0']['accuracy'] for arch in check]
        twice = [runs[f'{arch}/0@2x']['accuracy'] for arch in check]
        meta['convergence'] = dict(archs=check, accuracy=once, accuracy_2x=twice,
                                   mean_change=sum(twice) / len(twice) - sum(once) / len(once),
                                   kendall_tau_1x_vs_2x=kendall_tau(once, twice))
    complete = {arch: record for arch, record in table.items() if len(record['acc']) >= 2}
    if len(complete) >= 4:
        meta['statistics'] = table_statistics(complete)
    meta['total_seconds'] = round(sum(r['seconds'] for r in runs.values()), 1)
    meta['total_cpu_seconds'] = round(sum(r['cpu_seconds'] for r in runs.values()), 1)
    # from the first run's start to the last run's end, across interruptions and resumed builds
    meta['wall_span_seconds'] = round(max(r['finished_at'] for r in runs.values()) -
                                      min(r['finished_at'] - r['seconds'] for r in runs.values()), 1)
    return table


def work(args, recipe: Recipe, order: List[Run], costs: dict) -> None:
    """One worker: claims, trains and records runs until none is left."""
    torch.set_num_threads(args.threads)
    meta_path = osp.splitext(args.out)[0] + '.meta.json'
    data = PairTensors(recipe.image_size, device=args.device)
    while True:
        with locked(args.out):
            run = claim_next_run(args.out, meta_path, order)
        if run is None:
            return
        arch, seed, multiple = run
        schedule = Recipe.from_dict(dict(recipe.to_dict(), iterations=recipe.iterations * multiple))
        result = train_subnet(schedule, recipe.arch_subnet(arch), seed, data)
        with locked(args.out):  # other workers write the same files: re-read, add this run, write
            meta = read_json(meta_path, {})
            meta['runs'][run_key(run)] = dict(result, finished_at=round(time.time()))
            table = summarise(meta, costs)
            write_json(args.out, table)
            write_json(meta_path, meta)
        stats = meta.get('statistics', {})
        print(f'{run_key(run)}: {result["accuracy"]:.2f}% ({result["seconds"]:.0f} s); {len(table)} archs, '
              f'seed-to-seed tau {stats.get("seed_to_seed_tau", float("nan")):.3f}, '
              f'tau vs FLOPs {stats.get("tau_mean_vs_flops", float("nan")):.3f}', flush=True)


def claim_next_run(out: str, meta_path: str, order: List[Run]) -> Optional[Run]:
    """The first run neither recorded nor claimed by a live worker, claimed for this process; None when all are
    done or claimed."""
    recorded = read_json(meta_path, {}).get('runs', {})
    claims_path = f'{out}.claims.json'
    claims = {key: pid for key, pid in read_json(claims_path, {}).items() if alive(pid) and key not in recorded}
    for run in order:
        key = run_key(run)
        if key not in recorded and key not in claims:
            claims[key] = os.getpid()
            write_json(claims_path, claims)
            return run
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


def prepare(args) -> Tuple[Recipe, List[Run], dict]:
    """The recipe (refusing a table made with another one), the planned runs and every planned arch's costs;
    writes the meta file's fixed fields."""
    recipe = Recipe(iterations=args.iterations)
    meta_path = osp.splitext(args.out)[0] + '.meta.json'
    meta = read_json(meta_path, {})
    if meta.get('recipe', recipe.to_dict()) != recipe.to_dict():
        raise WidthSearchError(f'{args.out} was made with the recipe {meta["recipe"]}, not {recipe.to_dict()}: '
                               'choose another --out')
    archs = choose_archs(recipe, args.num_archs, args.arch_seed)
    order = planned_runs(recipe, archs, args)
    costs = arch_costs(recipe, archs)  # the table's archs only (not the convergence check's)
    meta.update(recipe=recipe.to_dict(), dataset='mmwidth.DigitPairs (train 60000 / test 10000 pairs)',
                distortion=DISTORTION,
                convergence_archs=[arch for arch, _, multiple in order if multiple == 2],
                device=args.device, threads_per_worker=args.threads, workers=args.workers,
                host=platform.processor() or platform.machine(), cpu_count=os.cpu_count(),
                torch=torch.__version__, runs=meta.get('runs', {}))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with locked(args.out):
        write_json(meta_path, meta)
    return recipe, order, costs


def main():
    args = parse_args()
    recipe, order, costs = prepare(args)
    if args.workers == 1:
        work(args, recipe, order, costs)
    else:
        workers = [multiprocessing.get_context('spawn').Process(target=work, args=(args, recipe, order, costs))
                   for _ in range(args.workers)]
        for process in workers:
            process.start()
        for process in workers:
            process.join()
    meta = read_json(osp.splitext(args.out)[0] + '.meta.json', {})
    summary = ('statistics', 'convergence', 'total_seconds', 'total_cpu_seconds', 'wall_span_seconds')
    print(json.dumps({k: meta[k] for k in summary if k in meta}))


if __name__ == '__main__':
    main()
