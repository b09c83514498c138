"""Print the FLOPs (MACs of conv, linear and attention layers) and params of a model config or of one of its subnets."""
import argparse

from mmwidth.apis import get_flops
from mmwidth.utils.cli import add_model_tool_options, print_json, tool_session
from mmwidth.utils.config import parse_input_shape


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='an mmpretrain, mmdet or mmwidth model config')
    parser.add_argument('--subnet', help='SUBNET.json mapping every group name to its channels')
    parser.add_argument('--scope', help='count only the layers under this module prefix (e.g. a detector\'s backbone)')
    add_model_tool_options(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    with tool_session(args.json, args.debug):
        result = get_flops(args.config, args.subnet, parse_input_shape(args.input_shape), args.scope,
                           args.cfg_options)
    if args.json:
        print_json(result)
    else:
        print(f'FLOPs (MACs): {result["flops"]:,}\nparams: {result["params"]:,}')


if __name__ == '__main__':
    main()
