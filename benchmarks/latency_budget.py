"""Latency budgets, measured: how well a latency table predicts the latency of whole subnets, and what a latency
budget buys over a FLOPs budget in a search.

(a) Prediction: for ResNet-50 and MobileNetV2 (BCNet's ImageNet supernet configs: 224 px, 20 width bins per group,
rounded to multiples of ``--divisor``), a latency table is built on ONNX Runtime CPU (``--threads``, batch 1;
tools/analysis/latency_table.py's defaults), then ``--subnets`` random subnets are exported, timed end to end
(interleaved rounds, medians: this machine is noisy) and compared with the table's prediction: median and worst
absolute error as fractions of the measured latency. Measured twice: paced (each timing between two timings of the
largest subnet, as a fraction of it, times the largest anchor's time at the table's build, as a latency search's
finalists are timed: the headline errors) and unpaced (as timed, ``unpaced``). With the unpaced timings the
table's smallest and largest anchors are timed again: ``anchor_drift``, now / at build, is how far the machine's
speed moved since the table was built, and ``drift_corrected`` gives the errors once the predictions are
rescaled by that drift (the geometric mean of both anchors').

(b) Search: on the BCNet digits supernet (trained here for ``--supernet-iters`` iterations), at each fraction of
``--budgets`` of the largest subnet's predicted latency, the evolutionary search config with
``budget=dict(latency=...)`` and the same search with ``budget=dict(flops=<same fraction>)`` (what one would set
without a latency model). Both picks are timed end to end together and reported with the score the search gave
them; the FLOPs pick's misses of the latency limit are counted.

(c) Receipts: for each model, the speed-up receipt tools/export_subnet.py writes (mmwidth.latency.receipt) of its
uniform-width subnet at about ``--receipt-flops`` of the FLOPs (every group at the same fraction, snapped to the
space's widths), on ONNX Runtime and PyTorch CPU at batch 1 and 8: how much of a FLOPs cut each runtime turns
into speed.

Tables, the supernet, every search and every receipt are kept under ``--work-dir``; a rerun reuses them (their
build and run times are recorded).

    python benchmarks/latency_budget.py [--json] [--threads 2]
"""
import argparse
import os
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

from digit_pairs_supernets import read_json, write_json  # noqa: E402
from mmwidth.apis.analysis import load_model_and_space  # noqa: E402
from mmwidth.apis.latency import build_latency_table  # noqa: E402
from mmwidth.apis.search import run_search  # noqa: E402
from mmwidth.export.static_model import export_static_model  # noqa: E402
from mmwidth.latency.receipt import format_receipt, speedup_receipt  # noqa: E402
from mmwidth.latency.table import LatencyTable, LatencyTableError  # noqa: E402
from mmwidth.search.uniform import uniform_subnet  # noqa: E402
from mmwidth.sharing.index_sets import subnet_index_sets  # noqa: E402
from mmwidth.utils.cli import run_and_report  # noqa: E402
from mmwidth.utils.config import load_config  # noqa: E402

MODELS = dict(resnet50='configs/bcnet/bcnet_resnet50_supernet_8xb32_in1k.py',
              mobilenet_v2='configs/bcnet/bcnet_mobilenet-v2_supernet_8xb64_in1k.py')
DIGITS_SUPERNET = 'configs/bcnet/bcnet_cbm-resnet_digits.py'
DIGITS_SEARCH = 'configs/bcnet/bcnet_cbm-resnet_search_digits.py'
RUNTIME = 'onnxruntime'


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--models', nargs='+', choices=list(MODELS), default=list(MODELS))
    parser.add_argument('--subnets', type=int, default=30, help='random subnets timed per model')
    parser.add_argument('--divisor', type=int, default=8, help='width multiple of the prediction spaces')
    parser.add_argument('--threads', type=int, default=2, help='ONNX Runtime intra-op threads')
    parser.add_argument('--budgets', type=float, nargs='+', default=[0.4, 0.55, 0.7],
                        help='latency budgets of the search part, fractions of the largest subnet\'s')
    parser.add_argument('--supernet-iters', type=int, default=200)
    parser.add_argument('--evaluations', type=int, default=40, help='evaluations of each search')
    parser.add_argument('--receipt-flops', type=float, default=0.5,
                        help='FLOPs fraction of the uniform subnets of the receipt part')
    parser.add_argument('--no-search', dest='search', action='store_false', help='skip the search part')
    parser.add_argument('--no-receipts', dest='receipts', action='store_false', help='skip the receipt part')
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'latency_budget'))
    parser.add_argument('--json', action='store_true', help='print only JSON')
    return parser.parse_args()


def table_for(config: str, cfg_options: dict, path: str, threads: int):
    """The model, its space and its latency table (built once, then read back from ``path``)."""
    model, space, _ = load_model_and_space(config, cfg_options=cfg_options)
    try:
        return model, space, LatencyTable.load(path, space)
    except LatencyTableError:  # absent, or built elsewhere: build it here
        return model, space, build_latency_table(config, path, RUNTIME, threads, cfg_options=cfg_options,
                                                 progress=False)


def prediction(name: str, args) -> dict:
    out = osp.join(args.work_dir, f'{name}_prediction.json')
    done = read_json(out)
    if done and done['subnets'] == args.subnets and done['divisor'] == args.divisor and 'unpaced' in done:
        return done
    options = {'model.width_space.divisor': args.divisor}
    model, space, table = table_for(MODELS[name], options, osp.join(args.work_dir, f'{name}_{RUNTIME}.json'),
                                    args.threads)
    generator = np.random.default_rng(0)
    subnets = [{n: int(generator.choice(space.choices[n])) for n in space.names} for _ in range(args.subnets)]
    predicted = np.array([table.predict(s) for s in subnets])
    started = time.time()
    unpaced, drift = table.measure_with_drift(model, subnets, paced=False)
    paced = table.measure(model, subnets)
    errors = lambda measured: np.abs(predicted - measured) / measured  # noqa: E731
    paced, unpaced = np.array(paced), np.array(unpaced)
    # the unpaced figures with the machine's drift taken out by the anchors alone (their geometric drift)
    rescaled = np.abs(predicted * float(np.sqrt(drift['smallest'] * drift['largest'])) - unpaced) / unpaced
    result = dict(model=name, runtime=RUNTIME, threads=args.threads, batch=1, input_shape=table.record['input_shape'],
                  divisor=args.divisor, subnets=args.subnets, median_abs_error=float(np.median(errors(paced))),
                  max_abs_error=float(errors(paced).max()),
                  mean_signed_error=float(np.mean((predicted - paced) / paced)),
                  measured_ms=dict(min=float(paced.min()), max=float(paced.max())),
                  unpaced=dict(median_abs_error=float(np.median(errors(unpaced))),
                               max_abs_error=float(errors(unpaced).max()),
                               mean_signed_error=float(np.mean((predicted - unpaced) / unpaced)),
                               anchor_drift=drift,
                               drift_corrected=dict(median_abs_error=float(np.median(rescaled)),
                                                    max_abs_error=float(rescaled.max()))),
                  table_build_s=table.record['build_s'], timing_s=round(time.time() - started, 1),
                  machine=table.record['machine'], scale=table.scale, offset_ms=table.offset,
                  largest_ms_at_build=table.record['fit']['anchors'][1]['measured_ms'],
                  points=[dict(predicted_ms=float(p), measured_ms=float(m), unpaced_ms=float(u))
                          for p, m, u in zip(predicted, paced, unpaced)])
    write_json(out, result)
    return result


def digits_supernet(args) -> str:
    """The digits supernet, trained once with tools/train.py's runner."""
    work_dir = osp.join(args.work_dir, 'digits_supernet')
    checkpoint = osp.join(work_dir, f'iter_{args.supernet_iters}.pth')
    if not osp.isfile(checkpoint):
        from mmengine.runner import Runner
        cfg = load_config(DIGITS_SUPERNET)
        cfg.merge_from_dict({'train_cfg.max_iters': args.supernet_iters, 'train_cfg.val_interval': 10**6,
                             'default_hooks.checkpoint.interval': args.supernet_iters})
        cfg.work_dir = work_dir
        Runner.from_cfg(cfg).train()
    return checkpoint


def searches(args) -> list:
    checkpoint = digits_supernet(args)
    table_path = osp.join(args.work_dir, f'digits_{RUNTIME}.json')
    model, space, table = table_for(DIGITS_SUPERNET, {}, table_path, args.threads)
    largest = table.predict(space.largest())
    small = {'train_cfg.scorer.calibration_batches': 5, 'train_cfg.max_evaluations': args.evaluations}
    rows = []
    for fraction in args.budgets:
        picks = {}
        for kind, budget in (('latency', dict(latency=f'{100 * fraction:g}%', latency_table=table_path)),
                             ('flops', dict(flops=f'{100 * fraction:g}%'))):
            work_dir = osp.join(args.work_dir, f'search_{kind}_{fraction:g}')
            result = read_json(osp.join(work_dir, 'search_result.json'))
            if not result:
                cfg = load_config(DIGITS_SEARCH)
                cfg.train_cfg.budget = budget
                cfg.merge_from_dict(small)
                started = time.time()
                result = run_search(cfg, checkpoint, work_dir)
                result['search_s'] = round(time.time() - started, 1)
                write_json(osp.join(work_dir, 'search_result.json'), result)
            picks[kind] = result
        # timed together, in interleaved rounds (a latency does not depend on the weights)
        measured = table.measure(model, [picks['latency']['subnet'], picks['flops']['subnet']])
        limit = fraction * largest
        rows.append(dict(budget=fraction, limit_ms=limit, **{
            kind: dict(subnet=picks[kind]['subnet'], score=picks[kind]['score'], flops=picks[kind]['flops'],
                       predicted_ms=table.predict(picks[kind]['subnet']), measured_ms=ms, within=ms <= limit,
                       search_s=picks[kind].get('search_s'))
            for kind, ms in zip(('latency', 'flops'), measured)}))
    return rows


def receipt(name: str, args) -> dict:
    out = osp.join(args.work_dir, f'{name}_receipt.json')
    done = read_json(out)
    if done and done['target_flops'] == args.receipt_flops and done['threads'] == args.threads:
        return done
    model, space, _ = load_model_and_space(MODELS[name], cfg_options={'model.width_space.divisor': args.divisor})
    uniform = uniform_subnet(space, args.receipt_flops * space.flops(space.full()))
    widths = {n: min(space.choices[n], key=lambda c: abs(c - uniform[n])) for n in space.names}
    started = time.time()
    plain = [export_static_model(model, space, subnet_index_sets(space.full(), w, 'left', blocks=space.blocks))
             for w in (space.full(), widths)]
    result = dict(model=name, subnet='uniform', target_flops=args.receipt_flops, threads=args.threads,
                  receipt=speedup_receipt(*plain, space, widths, threads=args.threads))
    result['receipt_s'] = round(time.time() - started, 1)
    write_json(out, result)
    return result


def run(args) -> dict:
    os.makedirs(args.work_dir, exist_ok=True)
    result = dict(prediction=[prediction(name, args) for name in args.models])
    if args.receipts:
        result['receipts'] = [receipt(name, args) for name in args.models]
    if args.search:
        rows = searches(args)
        result['search'] = rows
        result['flops_pick_misses'] = sum(not row['flops']['within'] for row in rows)
        result['latency_pick_misses'] = sum(not row['latency']['within'] for row in rows)
    return result


def print_table(result: dict) -> None:
    print('(a) latency predicted by the table vs measured end to end (ONNX Runtime CPU, batch 1); paced: as a '
          'fraction of the largest subnet timed beside it, at the largest\'s time at the build; unpaced: as timed, '
          'with the anchors\' drift and the errors once rescaled by it')
    print(f'{"model":<14}{"subnets":>8}{"paced: median":>15}{"worst":>8}{"signed":>9}{"measured ms":>16}'
          f'{"table s":>9}{"unpaced: median/worst":>23}{"drift":>12}{"corrected":>15}')
    for row in result['prediction']:
        unpaced = row['unpaced']
        corrected = unpaced['drift_corrected']
        print(f'{row["model"]:<14}{row["subnets"]:>8}{100 * row["median_abs_error"]:>14.1f}%'
              f'{100 * row["max_abs_error"]:>7.1f}%{100 * row["mean_signed_error"]:>8.1f}%'
              f'{row["measured_ms"]["min"]:>8.2f}-{row["measured_ms"]["max"]:<7.2f}{row["table_build_s"]:>9.0f}'
              f'{100 * unpaced["median_abs_error"]:>15.1f}/{100 * unpaced["max_abs_error"]:.1f}%'
              f'{unpaced["anchor_drift"]["smallest"]:>7.2f}/{unpaced["anchor_drift"]["largest"]:.2f}'
              f'{100 * corrected["median_abs_error"]:>8.1f}/{100 * corrected["max_abs_error"]:.1f}%')
    if 'search' in result:
        print_search(result)
    for row in result.get('receipts', []):
        print(f'\n(c) receipt of {row["model"]}\'s uniform subnet at {100 * row["target_flops"]:g}% FLOPs '
              f'(full -> subnet, {row["receipt_s"]:.0f} s)\n{format_receipt(row["receipt"])}')


def print_search(result: dict) -> None:
    print('\n(b) digits supernet: latency-budget search vs FLOPs-budget search at the same fraction')
    print(f'{"budget":>7}{"limit ms":>10}  {"latency pick: ms, score":>26}  {"FLOPs pick: ms, score":>26}')
    for row in result['search']:
        cells = [f'{row[k]["measured_ms"]:.3f}{"" if row[k]["within"] else " (over)"}, {row[k]["score"]:.2f}'
                 for k in ('latency', 'flops')]
        print(f'{row["budget"]:>7g}{row["limit_ms"]:>10.3f}  {cells[0]:>26}  {cells[1]:>26}')
    print(f'FLOPs picks over the latency limit: {result["flops_pick_misses"]} of {len(result["search"])}; '
          f'latency picks: {result["latency_pick_misses"]}')


if __name__ == '__main__':
    arguments = parse_args()
    run_and_report(lambda: run(arguments), arguments.json, print_table)
