"""Run by torchrun with 2 CPU processes (gloo): BCNet under WidthSearchDDP, each rank seeded differently and fed
different data. Writes to argv[1] whether both ranks used the same channels in every pass and ended with the
same parameters."""
import json
import sys
from pathlib import Path

import torch
from mmengine.dist import all_gather_object, get_rank

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'test_algorithms'))
from algorithm_helpers import batch, build_algorithm, sgd  # noqa: E402

from mmwidth.algorithms import WidthSearchDDP  # noqa: E402
from mmwidth.utils.distributed import init_cpu_distributed  # noqa: E402


def main(out_file: str, steps: int = 6) -> None:
    init_cpu_distributed('pytorch')
    rank = get_rank()
    algorithm = build_algorithm('BCNet', seed=1000 + rank)  # the sampler must follow rank 0 anyway
    used = []
    for module, layer in algorithm.supernet.layers():
        module.mmwidth_monitor = lambda mod, name=layer.name: used.append((name, repr(mod.mmwidth_out)))
    model = WidthSearchDDP(module=algorithm)
    optim = sgd(algorithm, lr=0.1)
    for step in range(steps):
        model.train_step(batch(seed=10 * rank + step), optim)
    params = torch.cat([p.detach().flatten() for p in algorithm.parameters()])
    passes = all_gather_object(used)
    checksums = all_gather_object(params.tolist())
    if rank == 0:
        result = dict(passes=len(used), same_widths=passes[0] == passes[1],
                      same_params=checksums[0] == checksums[1])
        Path(out_file).write_text(json.dumps(result))


if __name__ == '__main__':
    main(sys.argv[1])
