"""BCNetV2's widened supernet never exceeds the base network: the shipped ImageNet configs' largest subnets export
to the stock architectures, and every width and complement of a ragged layout stays within the base channels."""
import pytest
from mmengine.config import Config

from algorithm_helpers import build_algorithm
from mmwidth.estimators.counter import count_flops_params
from mmwidth.export.slimmed_model import SlimmedModel
from mmwidth.space.width_space import WidthSpace
from mmwidth.utils.config import build_model
from mmwidth.utils.errors import ConfigError

SMALL_INPUT = (3, 32, 32)  # FLOPs of the stock and the exported models are compared at the same (small) size


@pytest.mark.parametrize('config', ['configs/bcnetv2/bcnetv2_resnet50_supernet_8xb64_in1k.py',
                                    'configs/bcnetv2/bcnetv2_mobilenet-v2-1.5x_supernet_8xb64_in1k.py'])
def test_largest_subnet_is_the_stock_model(config):
    cfg = Config.fromfile(config)
    cfg.model.width_space.input_shape = SMALL_INPUT
    algorithm = build_model(cfg)
    stock = build_model(Config(dict(default_scope=cfg.default_scope, model=cfg.model.architecture)))
    base = WidthSpace.from_config(stock, cfg.model.width_space)
    largest = algorithm.space.largest()
    for name in base.names:  # group by group
        assert largest[name] == base.channels(name), name
        assert algorithm.space.channels(name) > base.channels(name), name  # widened
    exported = SlimmedModel(cfg.model.architecture, largest, dict(cfg.model.width_space))
    assert count_flops_params(exported, SMALL_INPUT) == count_flops_params(stock, SMALL_INPUT)
    assert algorithm.space.flops(largest) == base.flops(base.full())


def test_ragged_layout_keeps_base_widths_and_exact_complements():
    # 3 bins of the CBM ResNet's 64/128/256-channel groups are ragged (ceil(c * C / 3))
    base = build_algorithm('BCNet', width_space=dict(bins=3)).space
    algorithm = build_algorithm('BCNetV2', min_bins=1, width_space=dict(bins=3))
    space = algorithm.space
    for name in space.names:
        channels, widened = base.channels(name), space.channels(name)
        assert space.edges[name][:3] == base.edges[name]
        assert widened == channels + base.edges[name][0]
        assert space.choices[name] == base.choices[name] and space.choices[name][-1] == channels
        for width in space.choices[name]:
            assert 1 <= algorithm.complement(name, width) <= channels
    # the space traced again at another size (as the analysis tools do) has the same layout
    again = algorithm.space_at((3, 16, 16))
    assert again.edges == space.edges and again.choices == space.choices


def test_options_that_break_bin_counting_are_refused():
    with pytest.raises(ConfigError, match='divisor'):
        build_algorithm('BCNetV2', min_bins=1, width_space=dict(divisor=8))
