"""Trace a Channel-Bench-Macro space and check the estimator's FLOPs/params on every arch of its table
(or, without a table, on all 16384 archs against the benchmark's closed forms). Exits 1 on any mismatch."""
import argparse
import sys

from mmwidth.ground_truth.cbm_table import check_cbm_table
from mmwidth.utils.cli import add_debug_flag, print_json, tool_session


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--space', choices=['resnet', 'mobilenet'], required=True)
    parser.add_argument('--table', help='Results_ResNet.json / Results_MobileNet.json')
    parser.add_argument('--json', action='store_true', help='print only JSON')
    add_debug_flag(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    with tool_session(args.json, args.debug):
        report = check_cbm_table(args.space, args.table)
    if args.json:
        print_json(report)
    else:
        print(f'{report["space"]}: {len(report["groups"])} groups, {report["checked"]} archs checked against the '
              f'{report["reference"]}: {report["flops_mismatch"]} FLOPs and {report["params_mismatch"]} params '
              'mismatches')
    sys.exit(1 if report['flops_mismatch'] or report['params_mismatch'] else 0)


if __name__ == '__main__':
    main()
