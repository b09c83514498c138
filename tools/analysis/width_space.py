"""Print the width space of a model config: its searchable channel groups, their members and choices."""
import argparse

from mmwidth.apis import describe_width_space
from mmwidth.utils.cli import add_model_tool_options, print_json, tool_session
from mmwidth.utils.config import parse_input_shape


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='an mmpretrain, mmdet or mmwidth model config')
    add_model_tool_options(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    with tool_session(args.json, args.debug):
        report = describe_width_space(args.config, parse_input_shape(args.input_shape), args.cfg_options)
    if args.json:
        print_json(report)
        return
    print(f'traced {", ".join(report["entries"])} at input shape {report["input_shape"]}: '
          f'{len(report["groups"])} searchable groups')
    for group in report['groups']:
        print(f'  {group["name"]:<48} {group["channels"]:>6} channels  {len(group["members"])} members')
    print(f'{len(report["fixed"])} fixed groups')
    for group in report['fixed']:
        print(f'  {group["name"]:<48} {group["channels"]:>6} channels  ({group["reason"]})')


if __name__ == '__main__':
    main()
