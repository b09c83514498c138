"""BCNet and AutoSlim under WidthSearchDDP in 2 CPU processes (torchrun, gloo): identical widths and parameters
on both ranks, the same parameters as one process on the same data, one gradient all-reduce per step."""
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from algorithm_helpers import batch, build_algorithm
from mmengine.optim import OptimWrapper

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
