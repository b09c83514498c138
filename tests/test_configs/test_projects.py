"""The worked examples under projects/: a user's own backbone trains as a supernet, and mmdet's own RetinaNet
config becomes a supernet whose backbone is searched under a backbone-only budget."""
import copy
import json
import os
import subprocess
import sys
from pathlib import Path

from mmengine.config import Config

from mmwidth.apis.search import resolve_scorer_references
from mmwidth.search import Budget
from mmwidth.utils.config import build_model

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


def test_retinanet_supernet_searches_its_backbone():
    cfg = Config.fromfile(str(PROJECTS / 'retinanet_width_search' /
                              'bcnet_retinanet_r50_fpn_search_backbone50pct_coco.py'))
    model = build_model(cfg)
    space = model.space
    assert len(space.names) == 29 and all(name.startswith('backbone.layer') for name in space.names)
    search = copy.deepcopy(cfg)
    resolve_scorer_references(search)
    assert search.search_cfg.scorer.dataloader.dataset.type == 'CocoDataset'
    budget = Budget(space, **search.search_cfg.budget)
    assert budget.scope == 'backbone' and budget.admits(space.smallest(), window=False)
