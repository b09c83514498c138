"""Run by torchrun with 2 CPU processes (gloo): BCNet and AutoSlim under WidthSearchDDP. Writes to argv[1], per
algorithm:

- each rank seeded differently and fed different data: whether both ranks used the same channels in every pass
  and ended with the same parameters;
- both ranks fed the same data: whether the parameters equal those of one process trained on that data alone
  (2 processes == 1 process), and how many gradient all-reduces a step made, in units of one backward pass's
  (1: synchronised once per step, however many passes the step has).
"""
import json
import sys
from pathlib import Path

import torch
from mmengine.dist import all_gather_object, get_rank

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'test_algorithms'))
from algorithm_helpers import batch, build_algorithm, sgd  # noqa: E402

from mmwidth.algorithms import WidthSearchDDP  # noqa: E402
from mmwidth.utils.distributed import init_cpu_distributed  # noqa: E402

OPTIONS = dict(BCNet={}, AutoSlim=dict(num_random_samples=2))


def flat_params(algorithm) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in algorithm.parameters()])


def different_data(kind: str, rank: int, steps: int) -> dict:
    algorithm = build_algorithm(kind, seed=1000 + rank, **OPTIONS[kind])  # the sampler must follow rank 0 anyway
    used = []
    for module, layer in algorithm.supernet.layers():
        module.mmwidth_monitor = lambda mod, name=layer.name: used.append((name, repr(mod.mmwidth_out)))
    model = WidthSearchDDP(module=algorithm)
    optim = sgd(algorithm, lr=0.1)
    for step in range(steps):
        model.train_step(batch(seed=10 * rank + step), optim)
    passes = all_gather_object(used)
    checksums = all_gather_object(flat_params(algorithm).tolist())
    return dict(passes=len(used), same_widths=passes[0] == passes[1], same_params=checksums[0] == checksums[1])


def same_data(kind: str, steps: int) -> dict:
    algorithm = build_algorithm(kind, seed=7, **OPTIONS[kind])
    model = WidthSearchDDP(module=algorithm)
    reductions = []

    def count(state, bucket):  # gloo all-reduce of the bucket's mean, counted
        reductions.append(1)
        tensor = bucket.buffer().div_(2)
        return torch.distributed.all_reduce(tensor, async_op=True).get_future().then(lambda fut: fut.value()[0])

    model.register_comm_hook(None, count)
    optim = sgd(algorithm, lr=0.1)
    model.train_step(batch(seed=0), optim)  # DDP rebuilds its buckets after the first backward pass
    data = algorithm.data_preprocessor(batch(seed=0), True)
    reductions.clear()
    algorithm.parse_losses(model(**data, mode='loss'))[0].backward()  # one plain backward pass: the unit
    optim.zero_grad()
    unit = len(reductions)
    per_step = []
    for step in range(1, steps):
        reductions.clear()
        model.train_step(batch(seed=step), optim)
        per_step.append(len(reductions) / unit)
    # one process on the same data: a replica with the same seed, without DDP (its plain pass included)
    alone = build_algorithm(kind, seed=7, **OPTIONS[kind])
    alone_optim = sgd(alone, lr=0.1)
    alone.train_step(batch(seed=0), alone_optim)
    alone.parse_losses(alone(**alone.data_preprocessor(batch(seed=0), True), mode='loss'))[0].backward()
    alone_optim.zero_grad()
    for step in range(1, steps):
        alone.train_step(batch(seed=step), alone_optim)
    difference = float((flat_params(alone) - flat_params(algorithm)).abs().max())
    return dict(syncs_per_step=per_step, max_diff_to_one_process=difference)


def main(out_file: str, steps: int = 6) -> None:
    init_cpu_distributed('pytorch')
    rank = get_rank()
    result = {kind: dict(different_data(kind, rank, steps), **same_data(kind, steps)) for kind in OPTIONS}
    if rank == 0:
        Path(out_file).write_text(json.dumps(result))


if __name__ == '__main__':
    main(sys.argv[1])
