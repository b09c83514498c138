"""The worked examples under projects/: a user's own backbone trains as a supernet, and a layer type mmwidth does
not ship (mmcv's DCNv2) is taught by one registered file (the detector configs that reuse mmdet's own configs are
tested in tests/test_detection)."""
import copy
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import torch
from conftest import one_line_error, tool
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner

from mmwidth.apis.analysis import verify_model_subnets
from mmwidth.export.static_model import export_static_model
from mmwidth.layers import layer_type_of
from mmwidth.sharing.index_sets import subnet_index_sets
from mmwidth.space.width_space import WidthSpace
from mmwidth.utils.config import build_model, load_config

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


DCN_CONFIG = PROJECTS / 'deformable_conv' / 'bcnet_resnet50-dcnv2_digits.py'


def test_a_layer_type_registered_by_a_project_traces_verifies_trains_and_exports(monkeypatch):
    """mmcv's DCNv2 in mmdet's ResNet-50: its family (one file of the project) is all mmwidth is told."""
    monkeypatch.syspath_prepend(str(ROOT))
    torch.manual_seed(0)
    cfg = load_config(str(DCN_CONFIG))
    model = build_model(cfg)
    space = model.space
    dcn = 'backbone.layer3.0.conv2'
    assert layer_type_of(model.architecture.get_submodule(dcn)).kind == 'modulated_deform_conv'
    assert {f'{dcn}:in', f'{dcn}.conv_offset:in'} <= set(space.graph.group('backbone.layer3.0.conv1').members)
    assert f'{dcn}:out' in space.graph.group(dcn).members and dcn in space.names
    offsets = next(g for g in space.graph.groups if g.producers == [f'{dcn}.conv_offset'])
    assert offsets.channels == 27 and not offsets.searchable

    rows = verify_model_subnets(copy.deepcopy(model.architecture), space, [space.smallest()], patterns=('random', ))
    assert rows[0]['ok'] and rows[0]['flops'] < space.flops(space.full()), rows

    optim_wrapper = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    before = model.architecture.get_submodule(dcn).weight.detach().clone()
    model.train()
    log = model.train_step(next(iter(Runner.build_dataloader(copy.deepcopy(cfg.train_dataloader), seed=0))),
                           optim_wrapper)
    assert all(torch.isfinite(value).all() for value in log.values())
    assert not torch.equal(before, model.architecture.get_submodule(dcn).weight)

    smallest = space.smallest()
    static = export_static_model(model.architecture, space, subnet_index_sets(space.full(), smallest, 'left'))
    assert static.get_submodule(dcn).in_channels == smallest['backbone.layer3.0.conv1'] < 64
    exported = copy.deepcopy(cfg)  # what an export's config.py holds
    exported.model = dict(type='mmwidth.SlimmedModel', architecture=cfg.model.architecture, channels=smallest,
                          width_space=cfg.model.width_space)
    build_model(exported).load_state_dict(static.state_dict())  # the same shapes


class OffsetsGiven(torch.nn.Module):
    """A plain ModulatedDeformConv2d whose offsets and masks another conv computes."""

    def __init__(self):
        super().__init__()
        from mmcv.ops import ModulatedDeformConv2d
        self.stem = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.offsets = torch.nn.Conv2d(8, 18, 3, padding=1)
        self.masks = torch.nn.Conv2d(8, 9, 3, padding=1)
        self.dcn = ModulatedDeformConv2d(8, 6, 3, padding=1)

    def forward(self, x):
        x = self.stem(x)
        return self.dcn(x, self.offsets(x), self.masks(x).sigmoid())


def test_offsets_given_to_a_deformable_conv_keep_their_number(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    importlib.import_module('projects.deformable_conv.modulated_deform_conv')
    model = OffsetsGiven()
    space = WidthSpace.from_model(model, (3, 6, 6))
    assert space.names == ['stem'] and 'dcn:in' in space.graph.group('stem').members
    assert not space.graph.group('offsets').searchable and not space.graph.group('masks').searchable
    rows = verify_model_subnets(model, space, [space.smallest()], patterns=('random', ))
    assert rows[0]['ok'], rows


def test_without_the_projects_family_the_trace_names_the_registries(tmp_path):
    """mmcv's op writes its output in C++ (the recorded pass sees an empty tensor): the first layer that reads it,
    in the first deformable block, is where the trace stops."""
    config = tmp_path / 'no_family.py'
    config.write_text(f"_base_ = ['{DCN_CONFIG}']\n"
                      "custom_imports = dict(imports=['mmwidth', 'mmdet.models'], allow_failed_imports=False)\n")
    message = one_line_error(tool('analysis/width_space.py', str(config), env=dict(os.environ, PYTHONPATH=str(ROOT))))
    assert 'backbone.layer3.0.' in message and 'CHANNEL_LAYERS' in message
