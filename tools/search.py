"""Search the best widths of a trained supernet under a budget: ``tools/train.py`` on a search config, under
its older name (``--checkpoint CK`` is ``--cfg-options load_from=CK``; same results, same errors).

Writes ``search_result.json``, ``subnet.json`` and the plots to the work directory (default
``./work_dirs/<config name>``); ``--resume`` continues a killed search from its last generation or step.
A user's mistake ends the tool with one line ``error: ...``.
"""
import argparse
import os.path as osp

import mmwidth  # noqa: F401  (registers the checkpoint allow-list of torch's weights-only loading)
from mmwidth.apis.search import run_search
from mmwidth.utils.cli import tool_session
from mmwidth.utils.entry_points import parse_with_common_args


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='search config (its train_cfg is a width-search loop)')
    parser.add_argument('--checkpoint', help='the trained supernet, i.e. load_from (not needed by oracle searches)')
    parser.add_argument('--resume', action='store_true', help='continue the search saved in the work directory')
    return parse_with_common_args(parser)


def main():
    args = parse_args()
    work_dir = args.work_dir or osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    with tool_session(json_output=False, debug=args.debug):
        run_search(args.config, args.checkpoint, work_dir, args.cfg_options, args.resume, args.launcher)


if __name__ == '__main__':
    main()
