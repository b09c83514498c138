"""BCNet and AutoSlim under WidthSearchDDP in 2 CPU processes (torchrun, gloo): identical widths and parameters
on both ranks, the same parameters as one process on the same data, one gradient all-reduce per step."""
import json
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import torch
from algorithm_helpers import batch, build_algorithm, sgd
from mmengine.optim import OptimWrapper

from mmwidth.algorithms.distributed import WidthSearchDDP
from mmwidth.utils.errors import ConfigError

SCRIPT = Path(__file__).resolve().parents[1] / 'scripts' / 'bcnet_two_ranks.py'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_two_ranks_sample_identical_widths(tmp_path):
    out = tmp_path / 'result.json'
    result = subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
                             f'--master_port={free_port()}', str(SCRIPT), str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    for kind, report in json.loads(out.read_text()).items():
        assert report['passes'] > 0, kind
        assert report['same_widths'] and report['same_params'], kind
        assert report['max_diff_to_one_process'] < 1e-6, (kind, report)
        assert report['syncs_per_step'] == [1.0] * len(report['syncs_per_step']), (kind, report)


def test_gradient_accumulation_is_refused_in_one_line():
    algorithm = build_algorithm('BCNet')
    optim = OptimWrapper(torch.optim.SGD(algorithm.parameters(), lr=0.1), accumulative_counts=2)
    with pytest.raises(ConfigError, match='accumulative_counts > 1 is not supported'):
        algorithm.train_step(batch(), optim)


def test_sync_batch_norms_train_as_batch_norms_on_cpu():
    """A COCO config's SyncBN backbone in a CPU (gloo) run: DDP refuses SyncBN in CPU modules, so the wrapper makes
    them BN; a train step runs and updates their statistics."""
    algorithm = torch.nn.SyncBatchNorm.convert_sync_batchnorm(build_algorithm('BCNet'))
    assert any(isinstance(layer, torch.nn.SyncBatchNorm) for layer in algorithm.modules())
    # an in-memory store and a timeout: a file store once left this test waiting forever on a CI machine
    torch.distributed.init_process_group('gloo', store=torch.distributed.HashStore(), rank=0, world_size=1,
                                         timeout=timedelta(seconds=60))
    try:
        wrapped = WidthSearchDDP(algorithm)
        norms = [layer for layer in algorithm.modules() if isinstance(layer, torch.nn.modules.batchnorm._BatchNorm)]
        assert norms and not any(isinstance(layer, torch.nn.SyncBatchNorm) for layer in norms)
        before = [layer.running_mean.clone() for layer in norms]
        wrapped.train_step(batch(), sgd(algorithm))
        assert any(not torch.equal(old, layer.running_mean) for old, layer in zip(before, norms))
    finally:
        torch.distributed.destroy_process_group()
