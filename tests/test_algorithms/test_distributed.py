"""BCNet under WidthSearchDDP in 2 CPU processes (torchrun, gloo): identical widths and parameters on both ranks."""
import json
import socket
import subprocess
import sys
from pathlib import Path

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
    report = json.loads(out.read_text())
    assert report['passes'] > 0
    assert report['same_widths'] and report['same_params']
