"""A dynamic subnet and its exported static model agree, for every sharing pattern, on real models."""
import numpy as np
import pytest
import torch
from conftest import build_package_model

from mmwidth.apis.analysis import _randomise_norms
from mmwidth.export.static_model import export_static_model
from mmwidth.sharing.index_sets import subnet_index_sets
from mmwidth.space.width_space import WidthSpace
from mmwidth.supernet.dynamic_layers import DynamicLayerMixin
from mmwidth.supernet.dynamic_supernet import DynamicSupernet
from mmwidth.utils.model_call import forward_tensor


@pytest.fixture(scope='module', params=['mobilenet_v2', 'resnet18_cifar'])
def supernet(request):
    model = build_package_model(request.param).eval()
    _randomise_norms(model, torch.Generator().manual_seed(0))
    space = WidthSpace.from_model(model, (3, 32, 32))
    return model, space, DynamicSupernet(model, space)


@pytest.mark.parametrize('pattern', ['left', 'right', 'random'])
def test_dynamic_subnet_equals_exported_model(supernet, pattern):
    model, space, dynamic = supernet
    subnet = space.sample(np.random.default_rng(3))
    index_sets = subnet_index_sets(space.full(), subnet, pattern, torch.Generator().manual_seed(0))
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad(), dynamic.subnet(index_sets):
        expected = forward_tensor(model, x)
    static = export_static_model(model, space, index_sets)
    assert not any(isinstance(m, DynamicLayerMixin) for m in static.modules())
    torch.testing.assert_close(forward_tensor(static.eval(), x), expected, atol=1e-4, rtol=1e-4)
    # the supernet itself is untouched: full width again outside the block
    assert all(m.mmwidth_out is None and m.mmwidth_in is None for m, _ in dynamic.layers())


def test_wrong_channels_are_detected(supernet):
    """The comparison is sharp: exporting the left channels of a right subnet changes the outputs."""
    model, space, dynamic = supernet
    subnet = {name: max(1, channels // 2) for name, channels in space.full().items()}
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad(), dynamic.subnet(subnet_index_sets(space.full(), subnet, 'right')):
        expected = forward_tensor(model, x)
    static = export_static_model(model, space, subnet_index_sets(space.full(), subnet, 'left'))
    assert (forward_tensor(static.eval(), x) - expected).abs().max() > 1e-2


def test_exported_model_has_fewer_parameters_and_loads_its_own_state(supernet):
    model, space, _ = supernet
    subnet = space.smallest()
    static = export_static_model(model, space, subnet_index_sets(space.full(), subnet, 'left'))
    assert sum(p.numel() for p in static.parameters()) == space.params(subnet)
    rebuilt = export_static_model(model, space, subnet_index_sets(space.full(), subnet, 'left'))
    rebuilt.load_state_dict(static.state_dict())
