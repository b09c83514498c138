"""Check that dynamic subnets equal their exported static models and that analytic FLOPs/params equal counts.

Exits with status 1 when any subnet and sharing pattern mismatches.
"""
import argparse
import sys

from mmwidth.apis import verify_subnets
from mmwidth.utils.cli import add_model_tool_options, non_negative_float, positive_int, print_json, tool_session
from mmwidth.utils.config import parse_input_shape


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='an mmpretrain, mmdet or mmwidth model config')
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument('--subnet', help='SUBNET.json to check')
    which.add_argument('--random', type=positive_int, metavar='N', help='check N random subnets')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--atol', type=non_negative_float, default=1e-4,
                        help='output difference accepted at any scale')
    parser.add_argument('--rtol', type=non_negative_float, default=1e-5,
                        help='output difference accepted per unit of the largest output (float32 rounding)')
    add_model_tool_options(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    with tool_session(args.json, args.debug):
        rows = verify_subnets(args.config, [args.subnet] if args.subnet else None, num_random=args.random or 0,
                              seed=args.seed, atol=args.atol, rtol=args.rtol,
                              input_shape=parse_input_shape(args.input_shape), cfg_options=args.cfg_options)
    if args.json:
        print_json(rows)
    else:
        for row in rows:
            print(f'subnet {row["subnet"]} {row["pattern"]:<6} max|diff| {row["max_abs_diff"]:.2e} '
                  f'(largest output {row["output_scale"]:.2e})  '
                  f'FLOPs {row["flops"]:,} (counted {row["flops_counted"]:,})  '
                  f'params {row["params"]:,} (counted {row["params_counted"]:,})  '
                  f'{"ok" if row["ok"] else "MISMATCH"}')
            for difference in row.get('differing_modules', []):
                print(f'    {difference}')
    sys.exit(0 if all(row['ok'] for row in rows) else 1)


if __name__ == '__main__':
    main()
