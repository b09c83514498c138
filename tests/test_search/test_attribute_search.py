"""The attribute task through the command-line tools, on the embedded digit mosaics (generated in a temporary
working directory): a BCNet supernet with a multi-label head, a search that maximises the mean attribute accuracy,
and the exported subnet scoring in tools/test.py exactly what the search scored."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_supernet_search import ROOT, SMALL, ok

SUPERNET = str(ROOT / 'configs' / 'bcnet' / 'bcnet_cbm-resnet_celeba-mosaics.py')
SEARCH = str(ROOT / 'configs' / 'bcnet' / 'bcnet_cbm-resnet_search_celeba-mosaics.py')


def test_search_export_test_by_attribute_accuracy(tmp_path: Path):
    def tool(script: str, *args: str) -> subprocess.CompletedProcess:
        # run in tmp_path: the configs' data/digit_mosaics is written there
        return subprocess.run([sys.executable, str(ROOT / 'tools' / script), *args], capture_output=True, text=True,
                              cwd=tmp_path)

    ok(tool('train.py', SUPERNET, '--work-dir', str(tmp_path / 'supernet'), '--cfg-options', 'train_cfg.max_iters=10',
            'train_cfg.val_interval=1000', 'default_hooks.checkpoint.interval=10'))
    supernet = tmp_path / 'supernet' / 'iter_10.pth'
    # a mosaics candidate costs twice a digits one: 4 of them are enough to check the metric's path
    ok(tool('search.py', SEARCH, '--checkpoint', str(supernet), '--work-dir', str(tmp_path / 'search'),
            '--cfg-options', *SMALL, 'train_cfg.max_evaluations=4', 'train_cfg.max_generations=1'))
    result = json.loads((tmp_path / 'search' / 'search_result.json').read_text())
    assert (tmp_path / 'data' / 'digit_mosaics' / 'list_attr_celeba.txt').is_file()
    out = tmp_path / 'subnet'
    ok(tool('export_subnet.py', SEARCH, str(tmp_path / 'search' / 'search_result.json'), '--checkpoint',
            str(supernet), '--out', str(out), '--side', 'left', '--cfg-options', *SMALL))
    # the search scored on the `val` partition: test the exported model there
    tested = ok(tool('test.py', str(out / 'config.py'), str(out / 'model.pth'), '--work-dir', str(out / 'test'),
                     '--out', str(out / 'metrics.json'), '--out-item', 'metrics', '--cfg-options',
                     'test_dataloader.dataset.split=val'))
    metrics = json.loads((out / 'metrics.json').read_text())
    assert metrics['attributes/mean_accuracy'] == pytest.approx(result['patterns']['left'], abs=1e-6)
    assert metrics['attributes/mean_error'] == pytest.approx(100 - metrics['attributes/mean_accuracy'])
    assert {'multi-label/mAP', 'multi-label/f1-score'} <= set(metrics)
    # the final report's table: one row per attribute
    assert re.search(r'Contains_7 +[\d.]+ +[\d.]+', tested.stdout + tested.stderr)
