"""Width choices, tying and fixing groups by name, and subnet checks."""
import subprocess
import sys

import numpy as np
import pytest
from conftest import build_package_model

from mmwidth.space.width_space import SubnetError, WidthSpace, bin_edges, channel_choices
from mmwidth.utils.errors import ConfigError


def test_space_imports_no_estimators():
    """The space sits below :mod:`mmwidth.estimators` (which counts built models against its forms): importing
    the width space, in a fresh interpreter, loads no estimators module, directly or through the layer families."""
    check = ('import sys, mmwidth.space.width_space; '
             'print([m for m in sys.modules if m.startswith("mmwidth.estimators")])')
    result = subprocess.run([sys.executable, '-c', check], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == '[]'


def test_bin_edges_and_choices():
    assert bin_edges(6) == [1, 2, 3, 4, 5, 6]
    assert bin_edges(10, bins=4) == [3, 5, 8, 10]  # ceil(c * 10 / 4)
    assert channel_choices(bin_edges(20, bins=20), min_bins=4) == list(range(4, 21))
    assert channel_choices(bin_edges(24, bins=6), min_bins=2, max_bins=4) == [8, 12, 16]  # BCNetV2: [m, N]
    assert bin_edges(96, ratios=[0.25, 0.5, 1.0]) == [24, 48, 96]
    assert bin_edges(20, bin_size=8) == [8, 16, 20]  # the last bin is ragged
    # rounded to multiples of 8 and de-duplicated; never above the full width
    assert bin_edges(20, bins=10, divisor=8) == [8, 16, 20]
    assert bin_edges(4, divisor=8) == [4]
    # fewer channels than bins: empty bins keep bin counts meaningful, the choices are the distinct widths
    assert bin_edges(3, bins=4) == [1, 2, 3, 3]
    assert channel_choices(bin_edges(3, bins=4), min_bins=2) == [2, 3]


@pytest.mark.parametrize('options', [dict(ratios=[0, 1]), dict(bins=0), dict(divisor=0), dict(bins=4, bin_size=2)])
def test_bad_bin_options(options):
    with pytest.raises(ConfigError):
        bin_edges(16, **options)
    with pytest.raises(ConfigError, match='min_bins'):
        channel_choices([4, 8, 12], min_bins=3, max_bins=2)


def test_flops_sensitive_bins(resnet18):
    space = WidthSpace.from_model(resnet18, (3, 32, 32), flops_bins=dict(min_bin=4, max_bin=64))
    cost = space.estimator.flops_per_channel(space.full())
    sizes = {name: space.edges[name][0] for name in space.names}
    cheapest, dearest = min(cost, key=cost.get), max(cost, key=cost.get)
    assert sizes[dearest] == 4 and sizes[cheapest] > sizes[dearest]  # expensive groups get fine bins
    for name in space.names:  # every bin of a group costs about as much as a bin of any other group
        assert cost[name] * sizes[name] <= 2 * cost[dearest] * 4 or sizes[name] == 64


@pytest.fixture(scope='module')
def resnet18():
    return build_package_model('resnet18_cifar')


def test_tie_and_fix_by_name(resnet18):
    space = WidthSpace.from_model(resnet18, (3, 32, 32), tie=[['backbone.layer1.0.conv1', 'backbone.layer1.1.conv1']],
                                  fix={'backbone.layer2.1.conv1': 64, 'backbone.layer4.residual': None})
    assert 'backbone.layer1.1.conv1' not in space.names
    tied = space.graph.group('backbone.layer1.0.conv1')
    assert 'backbone.layer1.1.conv2:in' in tied.members
    assert space.choices['backbone.layer2.1.conv1'] == [64]
    assert space.choices['backbone.layer4.residual'] == [512]
    rng = np.random.default_rng(0)
    for _ in range(5):
        assert space.sample(rng)['backbone.layer2.1.conv1'] == 64


def test_tie_and_fix_errors(resnet18):
    with pytest.raises(ConfigError, match='unknown group "backbone.layer1.0.conv9".*did you mean'):
        WidthSpace.from_model(resnet18, (3, 32, 32), tie=[['backbone.layer1.0.conv9', 'backbone.layer1.1.conv1']])
    with pytest.raises(ConfigError, match='different channel counts'):
        WidthSpace.from_model(resnet18, (3, 32, 32), tie=[['backbone.layer1.0.conv1', 'backbone.layer2.0.conv1']])
    with pytest.raises(ConfigError, match='cannot fix it at 100'):
        WidthSpace.from_model(resnet18, (3, 32, 32), fix={'backbone.layer1.0.conv1': 100})
    with pytest.raises(ConfigError, match='unknown option'):
        WidthSpace.from_config(resnet18, dict(input_shape=(3, 32, 32), bins=4, widths=3))


def test_check_subnet(resnet18):
    space = WidthSpace.from_model(resnet18, (3, 32, 32), bins=4)
    full = space.full()
    assert space.check_subnet(full) == full
    with pytest.raises(SubnetError, match='unknown group "backbone.layer1.0.conv".*did you mean'):
        space.check_subnet({**full, 'backbone.layer1.0.conv': 3})
    with pytest.raises(SubnetError, match='missing 1 of 12 groups'):
        space.check_subnet({k: v for k, v in full.items() if k != 'backbone.layer3.residual'})
    with pytest.raises(SubnetError, match=r'out of range \[1, 64\]'):
        space.check_subnet({**full, 'backbone.layer1.0.conv1': 65})
    with pytest.raises(SubnetError, match='whole number'):
        space.check_subnet({**full, 'backbone.layer1.0.conv1': 3.5})
    with pytest.raises(SubnetError, match='choices'):
        space.check_subnet({**full, 'backbone.layer1.0.conv1': 15}, choices_only=True)
    assert space.smallest()['backbone.layer1.0.conv1'] == 16
