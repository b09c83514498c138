"""Dagger: gates from weights only, the FLOPs target reached and frozen, the exported subnet equal to the gated
network, a detector backbone, and every shipped Dagger config's training step."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from algorithm_helpers import batch, build_algorithm, sgd
from conftest import build_package_model
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.optim import OptimWrapper, build_optim_wrapper
from mmengine.structures import InstanceData

from mmwidth.algorithms.dagger import FROZEN
from mmwidth.algorithms.dagger_gates import ChannelGating
from mmwidth.apis import get_flops
from mmwidth.estimators.counter import count_flops_params
from mmwidth.export.static_model import export_static_model
from mmwidth.registry import MODELS
from mmwidth.space.width_space import WidthSpace
from mmwidth.latency.runtimes import build_runtime
from mmwidth.latency.table import LatencyTable
from mmwidth.utils.config import build_model
from mmwidth.utils.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
DIGITS = ROOT / 'configs' / 'dagger' / 'dagger_cbm-resnet_digits.py'
# (the COCO config trains on a fake COCO in tests/test_detection)
CONFIGS = sorted(p for p in (ROOT / 'configs' / 'dagger').glob('*.py') if not p.name.endswith('_coco.py'))


def gating(steps: int, **options):
    algorithm = build_algorithm('Dagger', **options)
    optim_wrapper = sgd(algorithm, lr=0.02)
    for step in range(steps):
        algorithm.train_step(batch(8, seed=step), optim_wrapper)
    return algorithm


def gate_until_frozen(algorithm, steps: int):
    """Gating with momentum SGD until the gates freeze (they must, within ``steps``)."""
    optim_wrapper = OptimWrapper(torch.optim.SGD(algorithm.parameters(), lr=0.05, momentum=0.9))
    for step in range(steps):
        algorithm.train_step(batch(8, seed=step), optim_wrapper)
        if algorithm.frozen:
            break
    assert algorithm.frozen
    return algorithm


def test_gates_do_not_depend_on_the_batch(monkeypatch):
    # summaries of the current weights, recomputed at every forward pass
    # logits start about one deviation above 0: the weakest filters' gates are off from the first step
    algorithm = gating(2, flops_target=0.5, tolerance=1e-9, gate_inputs='current', init_logit=0.5)
    used = []
    compute = algorithm.gates
    monkeypatch.setattr(algorithm, 'gates', lambda: used.append(compute()) or used[-1])
    for seed in (10, 11):  # two different batches, in train mode (batch statistics in the norms)
        data = algorithm.data_preprocessor(batch(4, seed=seed), True)
        algorithm(data['inputs'], data['data_samples'], mode='loss')
    assert len(used) == 2
    hard = [torch.cat([g.hard for g in gates.values()]) for gates in used]
    soft = [torch.cat([g.soft for g in gates.values()]) for gates in used]
    assert torch.equal(hard[0], hard[1]) and torch.equal(soft[0], soft[1])
    assert 0 < hard[0].sum() < hard[0].numel()  # some channels are gated off: the check compares real gates


def test_export_equals_the_gated_network():
    algorithm = gating(3, flops_target=0.5, tolerance=1e-9, init_logit=0.5).eval()
    data = algorithm.data_preprocessor(batch(4, seed=20), False)
    with torch.no_grad():
        gated = algorithm(data['inputs'], None, mode='tensor')
        gates = algorithm.gates()
    algorithm.kept.copy_(torch.cat([g.hard > 0.5 for g in gates.values()]))
    index_sets = algorithm.kept_index_sets()
    # the kept channels are arbitrary positions, not the leftmost ones
    assert any(isinstance(i, torch.Tensor) and not torch.equal(i, torch.arange(len(i))) for i in index_sets.values())
    static = export_static_model(algorithm.architecture, algorithm.space, index_sets).eval()
    with torch.no_grad():
        exported = static(data['inputs'])
    assert torch.allclose(exported, gated, atol=1e-5) and gated.abs().max() > 1e-3
    assert count_flops_params(static, (3, 8, 8))[0] == algorithm.kept_flops() < algorithm.full_flops
    algorithm.phase.fill_(FROZEN)  # after freezing, the algorithm runs the same subnet (sliced)
    with torch.no_grad():
        assert torch.allclose(algorithm(data['inputs'], None, mode='tensor'), gated, atol=1e-5)


def test_minimum_channels_and_bad_options():
    algorithm = gating(1, flops_target=0.5, min_ratio=0.5, init_logit=-20.0)  # every logit far below 0
    for name, gates in algorithm.gates().items():
        assert int(gates.hard.sum()) == algorithm.space.channels(name) // 2
    with pytest.raises(ConfigError, match='below'):
        build_algorithm('Dagger', flops_target=0.05, min_ratio=0.5)
    with pytest.raises(ConfigError, match='flops_loss'):
        build_algorithm('Dagger', flops_loss='cubic')


@pytest.mark.parametrize('init_logit', [2.0, -3.0], ids=['from-the-full-network', 'from-below-the-target'])
def test_gating_reaches_a_30_percent_target(init_logit):
    """From above or from below (every gate but the minimum closed), the hard gates end within 1% of the target
    and freeze. Free-scale logits or unbounded offsets saturate the soft gates on a 30% target: the FLOPs
    stall far from it (2.9x from below) and gating never ends."""
    algorithm = gate_until_frozen(build_algorithm('Dagger', flops_target=0.3, init_logit=init_logit), 150)
    assert abs(algorithm.kept_flops() / algorithm.target_flops - 1) <= 0.01


def test_digits_gating_reaches_the_target_and_exports(tmp_path):
    """tools/train.py leaves subnet.json within 1% of the target; the export of its checkpoint counts the same.
    (The half-width architecture of the space and small batches keep it short.)"""
    config = tmp_path / 'dagger_half.py'
    config.write_text(f'_base_ = ["{DIGITS}"]\n'
                      'model = dict(architecture=dict(backbone=dict(arch="2222222"), head=dict(in_channels=256)))\n'
                      'train_dataloader = dict(batch_size=8)\n')
    work = tmp_path / 'work'
    options = ['model.pretrain_iters=2', 'train_cfg.max_iters=60', 'train_cfg.val_interval=1000',
               'default_hooks.logger.interval=1']
    result = subprocess.run([sys.executable, 'tools/train.py', str(config), '--work-dir', str(work),
                             '--cfg-options', *options], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    subnet = json.loads((work / 'subnet.json').read_text())
    assert all(set(entry) == {'channels', 'indices'} for entry in subnet.values())
    full = get_flops(str(config))['flops']
    kept = get_flops(str(config), str(work / 'subnet.json'))['flops']
    assert abs(kept / (0.5 * full) - 1) <= 0.01
    checkpoint = (work / 'last_checkpoint').read_text().strip()
    assert torch.load(checkpoint, weights_only=False)['meta']['iter'] < 60  # gating stopped the run
    out = tmp_path / 'pruned'
    result = subprocess.run([sys.executable, 'tools/export_subnet.py', str(config), str(work / 'subnet.json'),
                             '--checkpoint', checkpoint, '--out', str(out)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    exported = build_model(Config.fromfile(str(out / 'config.py')))
    assert count_flops_params(exported, (3, 16, 16))[0] == kept


def test_detector_backbone_training_step():
    """A RetinaNet whose backbone is gated trains: a finite loss with the FLOPs term, gradients reach the
    Dagger module."""
    detector = build_package_model('retinanet')
    detector.backbone.init_cfg = None
    algorithm = MODELS.build(dict(type='mmwidth.Dagger', architecture=detector,
                                  width_space=dict(input_shape=(3, 64, 64)), flops_target=0.6,
                                  flops_scope='backbone')).train()
    generator = torch.Generator().manual_seed(0)
    samples = []
    for _ in range(2):
        sample = DetDataSample(metainfo=dict(img_shape=(64, 64), ori_shape=(64, 64), scale_factor=(1.0, 1.0),
                                             pad_shape=(64, 64)))
        sample.gt_instances = InstanceData(bboxes=torch.tensor([[8.0, 8.0, 40.0, 48.0]]),
                                           labels=torch.tensor([3]))
        samples.append(sample)
    data = dict(inputs=[torch.randint(0, 256, (3, 64, 64), generator=generator, dtype=torch.uint8)
                        for _ in samples], data_samples=samples)
    before = algorithm.dagger_module.group_logit.detach().clone()
    log_vars = algorithm.train_step(data, sgd(algorithm, lr=1e-3))
    assert torch.isfinite(log_vars['loss']) and log_vars['loss_flops'] > 0
    assert not torch.equal(before, algorithm.dagger_module.group_logit)
    assert float(log_vars['flops_to_target']) > 1  # one step from the full network: still above the target


@pytest.mark.parametrize('path', CONFIGS, ids=[p.name for p in CONFIGS])
def test_shipped_dagger_config_trains_one_step(path):
    cfg = Config.fromfile(str(path))
    model = build_model(cfg)
    model.pretrain_iters = 0
    model.phase.fill_(1)  # gating from the first step
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    shape = model.space.graph.input_shape
    data = dict(inputs=[torch.randint(0, 256, shape, dtype=torch.uint8)], data_samples=batch(1)['data_samples'])
    before = model.dagger_module.group_logit.detach().clone()
    log_vars = model.train_step(data, optim_wrapper)
    assert torch.isfinite(log_vars['loss']) and 'flops_to_target' in log_vars
    assert not torch.equal(before, model.dagger_module.group_logit)  # the FLOPs term trained the module


def test_gating_on_a_latency_table_reaches_its_latency_target(tmp_path):
    """With ``latency_table`` the regulariser is the log ratio of the table's differentiable prediction to the
    target, and the hard gates freeze within 1% of the target latency. The table's timings are replaced by
    ones linear in the output widths (a real table of this tiny net is mostly call overhead), so that latency
    and FLOPs disagree: a regulariser still counting FLOPs would stop elsewhere."""
    plain = build_algorithm('Dagger', flops_target=0.5)
    table = LatencyTable.build(plain.architecture, plain.space, build_runtime('torch', threads=1), grid=2,
                               anchors=2, probe_divisor=False)
    for layer in table.record['layers']:
        layer['ms'] = [0.01 * (cout if cout is not None else 0) + 0.05 for _ in layer['in']
                       for cout in (layer['out'] or [None])]
    table.record['fit'] = dict(scale=1.0, offset_ms=0.2)
    path = tmp_path / 'latency.json'
    table.save(str(path))
    algorithm = build_algorithm('Dagger', flops_target=0.6, latency_table=str(path))
    table = LatencyTable.load(str(path), algorithm.space)
    assert algorithm.target_flops == pytest.approx(0.6 * table.predict(algorithm.space.full()))
    gates = algorithm.gates()
    widths = torch.stack([gates[name].hard.sum() for name in algorithm.space.names])
    expected = algorithm.flops_weight * torch.log(table.predict_tensor(widths.double())[0] / algorithm.target_flops)**2
    assert algorithm.regulariser(gates)['loss_flops'].item() == pytest.approx(expected.item(), rel=1e-5)
    gate_until_frozen(algorithm, 200)
    kept = {name: entry['channels'] for name, entry in algorithm.subnet_entries().items()}
    assert abs(table.predict(kept) / algorithm.target_flops - 1) <= 0.01
    assert abs(algorithm.kept_flops() / (0.6 * algorithm.full_flops) - 1) > 0.01  # not the FLOPs target


class TokenNet(torch.nn.Module):
    """Patch embedding to 4 tokens of 16 channels, a layer norm over the channels (the tensors' last dim), a linear
    layer and a head: Dagger's gates must multiply the last dim of these layers' outputs, not dim 1."""

    def __init__(self):
        super().__init__()
        self.patch = torch.nn.Conv2d(3, 16, 4, stride=4)
        self.norm = torch.nn.LayerNorm(16)
        self.fc = torch.nn.Linear(16, 24)
        self.head = torch.nn.Linear(24, 10)

    def forward(self, x):
        x = self.norm(self.patch(x).flatten(2).transpose(1, 2))
        return self.head(torch.relu(self.fc(x)).mean(1))


def test_gates_multiply_the_channels_of_channels_last_layers():
    model = TokenNet().eval()
    space = WidthSpace.from_model(model, (3, 8, 8))
    assert set(space.names) == {'patch', 'fc'}
    gates = {name: torch.ones(channels) for name, channels in space.full().items()}
    gates['patch'][torch.tensor([1, 5, 6])] = 0
    gates['fc'][torch.tensor([0, 23])] = 0
    outputs = {}
    with torch.no_grad(), ChannelGating(model, space).applied(gates):
        for name in ('norm', 'fc'):  # after the gates' hooks: they see the gated outputs
            getattr(model, name).register_forward_hook(lambda m, args, out, name=name: outputs.update({name: out}))
        model(torch.randn(2, 3, 8, 8))
    assert outputs['norm'].shape == (2, 4, 16) and outputs['fc'].shape == (2, 4, 24)
    for name, group in (('norm', 'patch'), ('fc', 'fc')):
        # zero exactly on the gated-off channels, of every token
        assert torch.equal(outputs[name].abs().amax((0, 1)) == 0, gates[group] == 0), name
