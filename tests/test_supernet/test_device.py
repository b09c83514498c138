"""The supernet's index sets live on the model's device: concat and flatten inputs included. On CPU the model is
put on the ``meta`` device (no memory, no compute) to see where the index tensors are built; the tests marked
``gpu`` run the real thing on CUDA and skip without it."""
import sys
from pathlib import Path

import pytest
import torch
from conftest import ConcatNet
from mmengine.config import Config

from mmwidth.algorithms import WidthSearchDDP  # noqa: F401  (registers the algorithms)
from mmwidth.apis import verify_subnets
from mmwidth.registry import MODELS
from mmwidth.sharing.index_sets import subnet_index_sets
from mmwidth.space.width_space import WidthSpace
from mmwidth.supernet.dynamic_supernet import DynamicSupernet

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'test_algorithms'))
from algorithm_helpers import batch, build_algorithm, sgd  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')


MODELS.register_module('DeviceTestConcatNet', module=ConcatNet, force=True)
CONCAT_CONFIG = Config(dict(default_scope='mmwidth', model=dict(type='DeviceTestConcatNet'),
                            width_space=dict(input_shape=(3, 8, 8))))


@pytest.mark.parametrize('pattern', ['left', 'random'])
def test_concat_and_flatten_index_sets_on_the_model_device(pattern):
    model = ConcatNet()
    space = WidthSpace.from_model(model, (3, 8, 8))
    supernet = DynamicSupernet(model.to('meta'), space)
    generator = torch.Generator().manual_seed(0)
    supernet.activate(subnet_index_sets(space.full(), dict(a=2, b=3), pattern, generator))
    for name in ('bn', 'dw', 'fc'):
        module = model.get_submodule(name)
        index = module.mmwidth_in if name == 'fc' else module.mmwidth_out
        assert isinstance(index, torch.Tensor) and index.device.type == 'meta', (name, index)


@pytest.mark.parametrize('config', [
    CONCAT_CONFIG, str(ROOT / 'projects/custom_backbone/bcnet_tiny-inception_digits.py'),
    str(ROOT / 'configs/bcnetv2/bcnetv2_cbm-resnet_digits.py')
], ids=['concat-flatten', 'tiny-inception', 'bcnetv2-cbm-resnet'])
@pytest.mark.gpu
@needs_cuda
def test_verify_subnets_on_cuda(config, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))  # the custom backbone's project is imported by its config
    rows = verify_subnets(config, num_random=2, seed=0, device='cuda')
    assert rows and all(row['ok'] for row in rows), [row for row in rows if not row['ok']]


@pytest.mark.parametrize('kind,options', [('AutoSlim', {}), ('BCNet', {}), ('BCNetV2', dict(min_bins=1)),
                                          ('CafeNet', dict(zone_offset=1, num_placements=2)),
                                          ('Dagger', dict(flops_target=0.5))])
@pytest.mark.gpu
@needs_cuda
def test_train_step_on_cuda(kind, options):
    algorithm = build_algorithm(kind, **options).cuda()
    before = [p.detach().clone() for p in algorithm.parameters()]
    log_vars = algorithm.train_step(batch(), sgd(algorithm))
    assert torch.isfinite(torch.as_tensor(float(log_vars['loss'])))
    assert any(not torch.equal(a, p.detach()) for a, p in zip(before, algorithm.parameters()))
    assert all(p.device.type == 'cuda' for p in algorithm.parameters())
