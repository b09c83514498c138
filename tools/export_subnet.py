"""Export a searched subnet of a supernet as a plain, physically smaller model.

Writes DIR/model.pth (weights inherited from the supernet, batch-norm statistics recalibrated as in the search),
DIR/config.py (for tools/test.py and tools/train.py), DIR/subnet.json and DIR/receipt.json, the speed-up receipt:
FLOPs, params, ONNX file size and latency measured on ONNX Runtime and PyTorch (CPU, and CUDA where present),
full model vs subnet, each as a ratio (--no-receipt where timing means nothing, e.g. a shared CI machine).
"""
import argparse

import mmwidth  # noqa: F401  (registers the checkpoint allow-list of torch's weights-only loading)
from mmwidth.apis.export import CALIBRATIONS, export_subnet, recorded_calibration
from mmwidth.latency.receipt import format_receipt
from mmwidth.utils.cli import add_debug_flag, positive_int, tool_session
from mmwidth.utils.config import DictAction, load_config
from mmwidth.utils.errors import ConfigError


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='the supernet (or search) config')
    parser.add_argument('subnet', help='SUBNET.json or a search_result.json')
    parser.add_argument('--checkpoint', required=True, help='the trained supernet')
    parser.add_argument('--out', required=True, help='output directory')
    parser.add_argument('--side', help='left or right (BCNet), placement<k> (CafeNet); default: the best '
                        'of a search result, else the first')
    parser.add_argument('--calibration', choices=CALIBRATIONS, default='search',
                        help='recalibrate batch norms as the search result records it (default; what makes the '
                        'export score what the search scored), or as the config\'s train_cfg.scorer says')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs (a train_cfg.scorer calibration other '
                        'than a search result records needs --calibration config)')
    parser.add_argument('--no-receipt', action='store_true', help='write no receipt.json (no timing)')
    parser.add_argument('--receipt-threads', type=positive_int,
                        help='threads every runtime times with (default: torch\'s, i.e. all cores)')
    parser.add_argument('--receipt-batch', type=int, default=8,
                        help='the throughput batch timed beside batch 1 (0: batch 1 only)')
    add_debug_flag(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    with tool_session(json_output=False, debug=args.debug):
        recorded = recorded_calibration(args.subnet) if args.calibration == 'search' else None
        for option, key in (('calibration_batches', 'num_batches'), ('seed', 'seed')):
            given = (args.cfg_options or {}).get(f'train_cfg.scorer.{option}')
            if recorded and given is not None and given != recorded[key]:
                raise ConfigError(f'--cfg-options train_cfg.scorer.{option}={given}: the search scored with '
                                  f'{recorded[key]}, which export uses unless given --calibration config')
        cfg = load_config(args.config, args.cfg_options)
        if args.receipt_batch < 0:
            raise ConfigError(f'--receipt-batch must be 0 (none) or a batch size, got {args.receipt_batch}')
        receipt = None if args.no_receipt else dict(threads=args.receipt_threads,
                                                    throughput_batch=args.receipt_batch or None)
        result = export_subnet(cfg, args.subnet, args.checkpoint, args.out, args.side, args.calibration, receipt)
    print(f'exported the {result["side"]} subnet: {result["flops"] / 1e6:.2f}M FLOPs, '
          f'{result["params"] / 1e6:.3f}M params\n  weights {result["model"]}\n  config  {result["config"]}')
    if receipt is not None:
        print(f'  receipt {result["receipt_file"]} (full -> subnet)\n{format_receipt(result["receipt"])}')


if __name__ == '__main__':
    main()
