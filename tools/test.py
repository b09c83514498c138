"""Evaluate a checkpoint on the test split of a config and print its metrics (the interface of mmpretrain's
tools/test.py).

A user's mistake (a missing config or checkpoint, a bad ``--out`` file) ends the tool with one line
``error: ...`` and exit status 2.
"""
import argparse

import mmengine
from mmengine.dist import is_main_process
from mmengine.evaluator import DumpResults

import mmwidth  # noqa: F401  (registers the checkpoint allow-list of torch's weights-only loading)
from mmwidth.utils.cli import tool_session
from mmwidth.utils.entry_points import build_runner, parse_with_common_args, setup_config
from mmwidth.utils.errors import ConfigError

# Extensions mmengine.dump writes; predictions are dumped as a pickle only.
OUT_FORMATS = dict(pred=('.pkl', '.pickle'), metrics=('.json', '.yaml', '.yml', '.pkl', '.pickle'))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a checkpoint with MMEngine\'s runner.')
    parser.add_argument('config', help='test config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='file to dump the predictions (.pkl) or the metrics (.json/.yaml/.pkl) to')
    parser.add_argument('--out-item', choices=sorted(OUT_FORMATS), default='pred',
                        help='what --out holds (default: the predictions)')
    return parse_with_common_args(parser)


def main():
    args = parse_args()
    with tool_session(json_output=False, debug=args.debug):
        if args.out and not args.out.endswith(OUT_FORMATS[args.out_item]):
            raise ConfigError(f'--out-item {args.out_item} needs --out to end with '
                              f'{" or ".join(OUT_FORMATS[args.out_item])}, got {args.out}')
        cfg = setup_config(args)
        cfg.load_from = args.checkpoint  # checked by build_runner, before anything is built
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        runner = build_runner(cfg)
        if args.out and args.out_item == 'pred':
            runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
        metrics = runner.test()
    if is_main_process():
        if args.out and args.out_item == 'metrics':
            mmengine.dump(metrics, args.out)
        for name, value in metrics.items():
            print(f'{name}: {value:.4f}' if isinstance(value, float) else f'{name}: {value}')


if __name__ == '__main__':
    main()
