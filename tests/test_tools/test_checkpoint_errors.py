"""Every tool that reads a checkpoint fails in one line naming the file when the checkpoint is truncated, and the
search refuses the weights of another model (strict loading); nothing is written as a result."""
import pytest
import torch
from conftest import DIGITS_SEARCH as SEARCH
from conftest import DIGITS_SUPERNET as SUPERNET
from conftest import ROOT, one_line_error, tool
from mmengine.config import Config

from mmwidth.utils.config import build_model


@pytest.fixture(scope='module')
def checkpoints(tmp_path_factory) -> dict:
    """A real checkpoint of the digits BCNet supernet (untrained), one truncated to its first 1000 bytes and one
    of another model: a conv weight renamed, the loss records (the prior's data) missing."""
    folder = tmp_path_factory.mktemp('checkpoints')
    state_dict = build_model(Config.fromfile(str(ROOT / SUPERNET))).state_dict()
    real = folder / 'real.pth'
    torch.save(dict(meta=dict(), state_dict=state_dict), real)
    truncated = folder / 'truncated.pth'
    truncated.write_bytes(real.read_bytes()[:1000])
    other = dict(state_dict)
    conv = next(key for key in other if key.endswith('conv1.weight'))
    other[conv.replace('conv1', 'conv_renamed')] = other.pop(conv)
    other.pop('loss_records')
    foreign = folder / 'foreign.pth'
    torch.save(dict(meta=dict(), state_dict=other), foreign)
    return dict(real=real, truncated=truncated, foreign=foreign)


def test_search_refuses_a_truncated_or_foreign_checkpoint(checkpoints, tmp_path):
    work_dir = tmp_path / 'search'
    truncated = str(checkpoints['truncated'])
    one_line_error(tool('search.py', SEARCH, '--checkpoint', truncated, '--work-dir', str(work_dir)), truncated)
    assert not work_dir.exists()  # failed before the runner was built
    foreign = str(checkpoints['foreign'])
    line = one_line_error(tool('search.py', SEARCH, '--checkpoint', foreign, '--work-dir', str(work_dir)), foreign,
                          'does not fit', 'missing', 'unexpected')
    assert 'loss_records' in line or '2 missing keys' in line
    assert not (work_dir / 'search_result.json').exists() and not (work_dir / 'subnet.json').exists()


def test_train_test_export_name_a_truncated_checkpoint(checkpoints, tmp_path):
    truncated = str(checkpoints['truncated'])
    work_dir = tmp_path / 'work'
    one_line_error(tool('train.py', SUPERNET, '--resume', truncated, '--work-dir', str(work_dir)), truncated)
    # --resume without a path: the work dir's last checkpoint is the truncated one
    resumed = tmp_path / 'resumed'
    resumed.mkdir()
    (resumed / 'last_checkpoint').write_text(truncated)
    one_line_error(tool('train.py', SUPERNET, '--resume', '--work-dir', str(resumed)), truncated)
    assert sorted(p.name for p in resumed.iterdir()) == ['last_checkpoint']
    metrics = tmp_path / 'metrics.json'
    one_line_error(tool('test.py', SUPERNET, truncated, '--work-dir', str(work_dir), '--out', str(metrics),
                        '--out-item', 'metrics'), truncated)
    assert not work_dir.exists() and not metrics.exists()
    subnet = tmp_path / 'subnet.json'
    subnet.write_text('{}')
    out = tmp_path / 'exported'
    one_line_error(tool('export_subnet.py', SEARCH, str(subnet), '--checkpoint', truncated, '--out', str(out)),
                   truncated)
    assert not out.exists()
