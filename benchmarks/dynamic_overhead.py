"""Cost of the dynamic layers: forward + backward time of a dynamic subnet over its exported static model.

For ResNet-50 and MobileNetV2 (mmpretrain's configs) at half of every searchable group's width, and for the
``left``, ``right`` and ``random`` sharing patterns, the subnet runs once through the supernet's dynamic layers
and once as the exported plain model (the same weights), in training mode, in the same process, alternating in
ABBA order. A virtual machine's speed varies by +-25% from one pass to the next, so each round pairs one pass of
each and the ratio dynamic / static is the median over the rounds of the paired ratios (goal: <= 1.05); each row
also gives the median times.

    python benchmarks/dynamic_overhead.py [--device cpu|cuda] [--json] [--batch 8 16] [--size 224] [--repeats 20]
"""
import argparse
import importlib
import os.path as osp
import statistics
import sys
import time

import torch
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmwidth.export.static_model import export_static_model  # noqa: E402
from mmwidth.sharing.index_sets import subnet_index_sets  # noqa: E402
from mmwidth.space.width_space import WidthSpace  # noqa: E402
from mmwidth.supernet.dynamic_supernet import DynamicSupernet  # noqa: E402
from mmwidth.utils.cli import print_json, tool_session  # noqa: E402
from mmwidth.utils.config import build_model  # noqa: E402
from mmwidth.utils.model_call import forward_tensor  # noqa: E402

MODELS = dict(resnet50='resnet/resnet50_8xb32_in1k.py', mobilenet_v2='mobilenet_v2/mobilenet-v2_8xb32_in1k.py')
PATTERNS = ('left', 'right', 'random')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    parser.add_argument('--models', nargs='+', choices=sorted(MODELS), default=list(MODELS))
    parser.add_argument('--batch', type=int, nargs='+', default=[8, 16],
                        help='batch size per model (one value: for all), default 8 for ResNet-50, 16 for MobileNetV2')
    parser.add_argument('--size', type=int, default=224, help='input height and width')
    parser.add_argument('--repeats', type=int, default=20, help='timed rounds (one forward + backward of each model)')
    parser.add_argument('--json', action='store_true', help='print only JSON')
    return parser.parse_args()


def package_model(name: str) -> torch.nn.Module:
    root = osp.join(osp.dirname(importlib.import_module('mmpretrain').__file__), '.mim', 'configs')
    return build_model(Config.fromfile(osp.join(root, MODELS[name])))


def step_time(model: torch.nn.Module, inputs: torch.Tensor) -> float:
    """One forward + backward pass in training mode (gradients dropped afterwards, as an optimizer step does)."""
    if inputs.is_cuda:
        torch.cuda.synchronize()
    start = time.perf_counter()
    forward_tensor(model, inputs).float().mean().backward()
    if inputs.is_cuda:
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    model.zero_grad(set_to_none=True)
    return elapsed


def measure(name: str, batch: int, args) -> list:
    model = package_model(name).to(args.device).train()
    space = WidthSpace.from_model(model, (3, args.size, args.size))
    half = {group: max(1, space.channels(group) // 2) for group in space.names}
    supernet = DynamicSupernet(model, space)
    inputs = torch.randn(batch, 3, args.size, args.size, device=args.device)
    rows = []
    for pattern in PATTERNS:
        index_sets = subnet_index_sets(space.full(), half, pattern, torch.Generator().manual_seed(0))
        static = export_static_model(model, space, index_sets).train()
        times = dict(dynamic=[], static=[])
        for repeat in range(args.repeats + 1):  # the first round warms up
            elapsed = {}
            for kind in (('dynamic', 'static') if repeat % 2 else ('static', 'dynamic')):
                if kind == 'dynamic':
                    with supernet.subnet(index_sets):
                        elapsed[kind] = step_time(model, inputs)
                else:
                    elapsed[kind] = step_time(static, inputs)
            if repeat:
                for kind, seconds in elapsed.items():
                    times[kind].append(seconds)
        ratios = [dynamic / static for dynamic, static in zip(times['dynamic'], times['static'])]
        rows.append(dict(model=name, pattern=pattern, batch=batch, size=args.size, device=args.device,
                         dynamic_s=statistics.median(times['dynamic']), static_s=statistics.median(times['static']),
                         ratio=statistics.median(ratios)))
        del static
    return rows


def main():
    args = parse_args()
    batches = dict(zip(args.models, args.batch if len(args.batch) > 1 else args.batch * len(args.models)))
    with tool_session(json_output=args.json):  # building and tracing the models logs to stdout
        rows = [row for name in args.models for row in measure(name, batches[name], args)]
    if args.json:
        print_json(rows)
        return
    print(f'{"model":<14}{"pattern":<9}{"batch":>6}{"dynamic (s)":>13}{"static (s)":>12}{"ratio":>8}')
    for row in rows:
        print(f'{row["model"]:<14}{row["pattern"]:<9}{row["batch"]:>6}{row["dynamic_s"]:>13.3f}'
              f'{row["static_s"]:>12.3f}{row["ratio"]:>8.3f}')


if __name__ == '__main__':
    main()
