"""Step time of a multi-pass width-search step in 2 CPU processes (gloo), before and after the lean DDP path.

``before``: every backward pass all-reduces the gradients and DDP broadcasts every buffer (the bookkeeping ones
included) before each forward pass; ``after``: mmwidth's WidthSearchDDP, which all-reduces once per step
(``no_sync`` for the earlier passes) and leaves the bookkeeping buffers alone. Both wrap identical supernets and
run in the same processes, alternating rounds; the ratio is after / before of the median step times.

    python benchmarks/ddp_step.py [--algorithm AutoSlim] [--steps 10] [--rounds 3] [--json]
"""
import argparse
import contextlib
import os
import os.path as osp
import socket
import statistics
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmengine.optim import OptimWrapper  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmpretrain.structures import DataSample  # noqa: E402

from mmwidth.algorithms import WidthSearchDDP  # noqa: E402
from mmwidth.ground_truth.cbm_table import cbm_model_cfg  # noqa: E402
from mmwidth.registry import MODELS  # noqa: E402
from mmwidth.utils.cli import print_json, tool_session  # noqa: E402

OPTIONS = dict(BCNet={}, BCNetV2=dict(min_bins=1), AutoSlim=dict(num_random_samples=2))


class SyncEveryPassDDP(WidthSearchDDP):
    """The previous path: no ``no_sync`` (every backward all-reduces), every buffer broadcast."""

    def no_sync(self):
        return contextlib.nullcontext()

    @staticmethod
    def unbroadcast_buffers(module):
        return []


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--algorithm', choices=sorted(OPTIONS), default='AutoSlim')
    parser.add_argument('--arch', default='4444444', help='Channel-Bench-Macro ResNet arch of the supernet')
    parser.add_argument('--batch', type=int, default=16, help='images per process')
    parser.add_argument('--size', type=int, default=32)
    parser.add_argument('--steps', type=int, default=10, help='timed steps per round and path')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--json', action='store_true', help='print only JSON')
    return parser.parse_args()


def build(args, seed: int):
    torch.manual_seed(seed)
    return MODELS.build(dict(type=f'mmwidth.{args.algorithm}', architecture=cbm_model_cfg('resnet', args.arch),
                             width_space=dict(input_shape=(3, args.size, args.size), bins=4), seed=seed,
                             **OPTIONS[args.algorithm])).train()


def data(args, step: int) -> dict:
    generator = torch.Generator().manual_seed(step)
    images = torch.randint(0, 256, (args.batch, 3, args.size, args.size), generator=generator, dtype=torch.uint8)
    return dict(inputs=list(images), data_samples=[DataSample().set_gt_label(i % 10) for i in range(args.batch)])


def worker(rank: int, args, port: int, queue) -> None:
    with tool_session(json_output=args.json):  # building and tracing the supernets logs to stdout
        measure(rank, args, port, queue)


def measure(rank: int, args, port: int, queue) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    torch.set_num_threads(1)
    init_default_scope('mmwidth')
    paths = {}
    for name, wrapper in (('before', SyncEveryPassDDP), ('after', WidthSearchDDP)):
        algorithm = build(args, seed=0)
        model = wrapper(module=algorithm)
        paths[name] = (model, OptimWrapper(torch.optim.SGD(algorithm.parameters(), lr=0.01)))
    times = {name: [] for name in paths}
    for round_ in range(args.rounds + 1):  # the first round warms up (DDP rebuilds its buckets)
        for name, (model, optim) in paths.items():
            for step in range(args.steps):
                dist.barrier()
                start = time.perf_counter()
                model.train_step(data(args, rank * 1000 + step), optim)
                if round_:
                    times[name].append(time.perf_counter() - start)
    if rank == 0:
        queue.put({name: statistics.median(values) for name, values in times.items()})
    dist.destroy_process_group()


def main():
    args = parse_args()
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    context = mp.get_context('spawn')
    queue = context.SimpleQueue()
    mp.start_processes(worker, args=(args, port, queue), nprocs=2, start_method='spawn')
    median = queue.get()
    report = dict(algorithm=args.algorithm, arch=args.arch, batch_per_process=args.batch, size=args.size,
                  steps=args.steps * args.rounds, before_s=median['before'], after_s=median['after'],
                  ratio_after_over_before=median['after'] / median['before'])
    if args.json:
        print_json(report)
    else:
        print(f'{args.algorithm} step, 2 processes (gloo), median of {report["steps"]} steps: before '
              f'{median["before"] * 1e3:.1f} ms, after {median["after"] * 1e3:.1f} ms, ratio after/before '
              f'{report["ratio_after_over_before"]:.3f}')


if __name__ == '__main__':
    main()
