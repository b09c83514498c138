"""Measure a detector supernet's norm scheme: the box mAP of its largest and smallest subnets on the search's
held-out split, with and without per-subnet batch-norm recalibration.

Train one supernet per scheme, e.g. trainable batch norms (the detection configs' choice) and frozen statistics
(mmdet's ``norm_eval=True``):

    python tools/train.py configs/bcnet/bcnet_fcos_r18-narrow_fpn_digits.py --work-dir work_dirs/norms_trainable \\
        --cfg-options train_cfg.max_iters=600 param_scheduler.1.end=600
    python tools/train.py configs/bcnet/bcnet_fcos_r18-narrow_fpn_digits.py --work-dir work_dirs/norms_frozen \\
        --cfg-options train_cfg.max_iters=600 param_scheduler.1.end=600 model.architecture.backbone.norm_eval=True
    python benchmarks/detection_norm_schemes.py configs/bcnet/bcnet_fcos_r18-narrow_fpn_search_digits.py \\
        work_dirs/norms_trainable/iter_600.pth work_dirs/norms_frozen/iter_600.pth \\
        --scheme-options model.architecture.backbone.norm_eval=False model.architecture.backbone.norm_eval=True

Norms a model keeps frozen in train mode (``norm_eval``) are never recalibrated, so a frozen-statistics supernet
scores the same both ways. The scorer is the search's own (its calibration batches and held-out data).
"""
import argparse
import os.path as osp
import sys
import tempfile

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmwidth.registry import TASK_UTILS  # noqa: E402
from mmwidth.supernet.subject import SearchSubject  # noqa: E402
from mmwidth.utils.cli import print_json, tool_session  # noqa: E402
from mmwidth.utils.config import DictAction, load_config  # noqa: E402
from mmwidth.utils.entry_points import build_runner  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='a detector search config (its scorer and held-out data are used)')
    parser.add_argument('checkpoints', nargs='+', help='trained supernets, one per scheme')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='settings for every checkpoint, e.g. the held-out size')
    parser.add_argument('--scheme-options', nargs='+', default=[],
                        help='one key=value per checkpoint (its scheme), e.g. '
                        'model.architecture.backbone.norm_eval=True')
    return parser.parse_args()


def parse_value(text: str):
    return {'True': True, 'False': False}.get(text, text)


def measure(config: str, checkpoint: str, options: dict) -> dict:
    """mAP of the largest and smallest subnets, recalibrated or with the supernet's own statistics."""
    cfg = load_config(config, options)
    cfg.work_dir = tempfile.mkdtemp(prefix='norm_schemes_')
    cfg.load_from = checkpoint
    runner = build_runner(cfg)
    runner.load_or_resume()
    subject = SearchSubject.from_runner(runner)
    scorer = TASK_UTILS.build(dict(cfg.train_cfg.scorer, racing=None), default_args=dict(runner=runner,
                                                                                        subject=subject))
    algorithm, space = subject.model, subject.space
    scores = {}
    for name, widths in (('largest', space.largest()), ('smallest', space.smallest())):
        with subject.supernet.subnet(algorithm.index_sets(widths)):
            scores[f'{name}_supernet_statistics'] = scorer.evaluate()
            scorer.recalibrate()
            scores[f'{name}_recalibrated'] = scorer.evaluate()
    return scores


def main():
    args = parse_args()
    if args.scheme_options and len(args.scheme_options) != len(args.checkpoints):
        sys.exit('error: give one --scheme-options entry per checkpoint')
    results = {}
    with tool_session(json_output=True):
        for i, checkpoint in enumerate(args.checkpoints):
            options = dict(args.cfg_options)
            if args.scheme_options:
                key, value = args.scheme_options[i].split('=', 1)
                options[key] = parse_value(value)
            results[checkpoint] = dict(options=options, **measure(args.config, checkpoint, options))
    print_json(results)


if __name__ == '__main__':
    main()
