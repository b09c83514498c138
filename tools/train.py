"""Train a model from a config with MMEngine's runner (the interface of mmpretrain's tools/train.py), or run a
search config (its train_cfg is a width-search loop) on the supernet of its ``load_from``.

A user's mistake (a missing config or checkpoint, an option the config cannot take) ends the tool with one line
``error: ...`` and exit status 2.
"""
import argparse
import os.path as osp

from mmengine.config import Config
from mmengine.device import get_device
from mmengine.runner import find_latest_checkpoint

import mmwidth  # noqa: F401  (registers the checkpoint allow-list of torch's weights-only loading)
from mmwidth.utils.cli import tool_session
from mmwidth.utils.config import search_loop_type
from mmwidth.utils.entry_points import build_runner, check_checkpoint, parse_with_common_args, setup_config
from mmwidth.utils.errors import ConfigError


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model with MMEngine\'s runner.')
    parser.add_argument('config', help='train config file')
    parser.add_argument('--resume', nargs='?', const='auto', metavar='CHECKPOINT',
                        help='resume from CHECKPOINT, or without a value from the latest checkpoint in the work dir '
                        '(a search config: from the search state in the work dir)')
    parser.add_argument('--amp', action='store_true', help='automatic mixed-precision training (GPU only)')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by the actual batch size over the config\'s base_batch_size')
    parser.add_argument('--no-validate', action='store_true', help='do not evaluate during training')
    return parse_with_common_args(parser)


def merge_train_args(cfg: Config, args: argparse.Namespace) -> None:
    if search_loop_type(cfg) is not None:  # a search: load_from is its supernet, its state is in the work dir
        if args.resume not in (None, 'auto'):
            raise ConfigError('a search resumes from the search_state.pth of its work dir: --resume takes no '
                              'checkpoint for a search config (its supernet is load_from)')
        if args.resume:
            cfg.train_cfg.resume = True
        args.resume = None
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.amp:
        if get_device() == 'cpu':
            raise ConfigError('--amp needs a GPU; none is available')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        latest = find_latest_checkpoint(cfg.work_dir) if osp.isdir(cfg.work_dir) else None
        if latest is not None:  # the checkpoint MMEngine would resume from
            check_checkpoint(latest)
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:  # checked by build_runner, before anything is built
        cfg.resume, cfg.load_from = True, args.resume
    if args.auto_scale_lr:
        if not cfg.get('auto_scale_lr'):
            raise ConfigError('--auto-scale-lr needs `auto_scale_lr = dict(base_batch_size=...)` in the config')
        cfg.auto_scale_lr.enable = True
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)


def main():
    args = parse_args()
    with tool_session(json_output=False, debug=args.debug):
        cfg = setup_config(args)
        merge_train_args(cfg, args)
        runner = build_runner(cfg)
        runner.train()


if __name__ == '__main__':
    main()
