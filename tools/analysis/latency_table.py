"""Measure the per-layer latency table of a config's width space on this machine, for latency budgets
(budget=dict(latency='8ms', latency_table=FILE)).

Each layer is timed alone over a grid of its widths, a few subnets end to end to fit the sum; the table records
the runtime, its versions, threads, batch, input size and machine, and is refused elsewhere.
"""
import argparse

from mmwidth.apis import build_latency_table
from mmwidth.utils.cli import add_model_tool_options, positive_int, print_json, tool_session
from mmwidth.utils.config import parse_input_shape


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='a supernet, search or model config with a width space')
    parser.add_argument('--out', required=True, help='the table to write (JSON)')
    parser.add_argument('--runtime', default='onnxruntime',
                        help='onnxruntime (CPU), torch (eager, CPU), torch-cuda, or a registered runtime')
    parser.add_argument('--threads', type=positive_int, help='intra-op threads (default: the runtime\'s, all cores)')
    parser.add_argument('--batch', type=positive_int, default=1, help='batch size (default 1)')
    parser.add_argument('--scope', help='time only the layers under this module prefix (a detector\'s backbone)')
    parser.add_argument('--grid', type=positive_int, default=6,
                        help='widths per axis a layer is timed at, at most (default 6; more is slower, closer)')
    parser.add_argument('--anchors', type=positive_int, default=10,
                        help='subnets timed end to end to fit the sum (default 10)')
    parser.add_argument('--no-divisor-probe', action='store_true',
                        help='skip finding the channel multiple the runtime prefers')
    add_model_tool_options(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    with tool_session(args.json, args.debug):
        table = build_latency_table(args.config, args.out, args.runtime, args.threads, args.batch, args.scope,
                                    args.grid, args.anchors, not args.no_divisor_probe,
                                    parse_input_shape(args.input_shape), args.cfg_options, progress=not args.json)
    record = table.record
    fit = record['fit']
    errors = [abs(fit['scale'] * a['table_ms'] + fit['offset_ms'] - a['measured_ms']) / a['measured_ms']
              for a in fit['anchors']]
    summary = dict(out=args.out, runtime=record['runtime'], machine=record['machine'], batch=record['batch'],
                   input_shape=record['input_shape'], layers=len(record['layers']), build_s=record['build_s'],
                   scale=fit['scale'], offset_ms=fit['offset_ms'], anchor_max_error=max(errors),
                   smallest_ms=fit['anchors'][0]['measured_ms'], largest_ms=fit['anchors'][1]['measured_ms'],
                   divisor=record.get('divisor'))
    if args.json:
        print_json(summary)
        return
    runtime = record['runtime']
    print(f'latency table of {len(record["layers"])} layers on {runtime["runtime"]} '
          f'({", ".join(f"{k} {v}" for k, v in runtime["versions"].items())}), {runtime["threads"] or "all"} '
          f'threads, batch {record["batch"]}, input {record["input_shape"]}, {record["machine"]["cpu"]}; '
          f'built in {record["build_s"]:.0f} s\n'
          f'  largest subnet {summary["largest_ms"]:.3f} ms, smallest {summary["smallest_ms"]:.3f} ms (measured)\n'
          f'  predicted = {fit["scale"]:.3f} x layer sum {fit["offset_ms"]:+.3f} ms; worst anchor error '
          f'{100 * summary["anchor_max_error"]:.1f}%')
    divisor = record.get('divisor')
    if divisor:
        probes = ', '.join(f'{p["divisor"]}: {p["slowdown"]:.2f}x' for p in divisor['probes'])
        advice = (f'widths in multiples of {divisor["suggested"]} run faster here: consider '
                  f'width_space=dict(divisor={divisor["suggested"]})' if divisor['suggested'] > 1
                  else 'no channel multiple runs markedly faster here')
        print(f'  {advice} (time per FLOP off each multiple: {probes})')
    print(f'  written to {args.out}')


if __name__ == '__main__':
    main()
