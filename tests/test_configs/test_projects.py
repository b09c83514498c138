"""The worked example under projects/: a user's own backbone trains as a supernet (the detector configs that reuse
mmdet's own configs are tested in tests/test_detection)."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = ROOT / 'projects'


def test_custom_backbone_trains_as_a_supernet(tmp_path):
    config = PROJECTS / 'custom_backbone' / 'bcnet_tiny-inception_digits.py'
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, str(ROOT / 'tools' / 'train.py'), str(config), '--work-dir', str(tmp_path),
         '--cfg-options', 'train_cfg.max_iters=4', 'train_cfg.val_interval=4', 'default_hooks.logger.interval=2'],
        capture_output=True, text=True, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    counts = json.loads((tmp_path / 'channel_fairness.json').read_text())['counts']
    # branches, squeeze widths and the two residual streams (concatenation and gates traced)
    assert len(counts) == 14 and 'backbone.stage1.residual' in counts
