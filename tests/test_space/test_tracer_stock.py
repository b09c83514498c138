"""Stock configs that torch.fx alone could not trace: two-stage detectors (their feature extractor is traced),
ShuffleNetV2 (recorded at run time, channel split and shuffle) and ConvNeXt (channels-last Linear layers).
Each verifies with zero mismatches for the left, right and random sharing patterns at a small input size."""
import pytest
import torch
from conftest import package_config

from mmwidth.apis import load_model_and_space, verify_subnets
from mmwidth.export.static_model import export_static_model
from mmwidth.sharing.index_sets import subnet_index_sets
from mmwidth.supernet.dynamic_supernet import DynamicSupernet
from mmwidth.utils.model_call import forward_tensor


def assert_verifies(config, shape):
    rows = verify_subnets(config, num_random=1, input_shape=shape)
    assert [row['pattern'] for row in rows] == ['left', 'right', 'random']
    assert all(row['ok'] for row in rows), rows


@pytest.mark.parametrize('relative', ['faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py',
                                      'mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'])
def test_two_stage_detector_traces_its_feature_extractor(relative):
    config = package_config('mmdet', relative)
    _, space, _ = load_model_and_space(config, (3, 64, 64))
    graph = space.graph
    assert graph.entry == 'extract_feat'
    # the searched backbone as in RetinaNet: frozen stem and first stage, three residual streams, bottlenecks
    assert len(space.names) == 29 and all(name.startswith('backbone.layer') for name in space.names)
    assert 'neck.lateral_convs.1.conv:in' in graph.group('backbone.layer2.residual').members
    fixed = {g.name: g.fixed_reason for g in graph.groups if not g.searchable}
    assert fixed['neck.fpn_convs.0.conv'] == 'model output'  # they feed the heads that are not traced
    if relative.startswith('faster'):
        assert_verifies(config, (3, 64, 64))


def test_shufflenet_v2_is_recorded_and_verifies():
    config = package_config('mmpretrain', 'shufflenet_v2/shufflenet-v2-1x_16xb64_in1k.py')
    _, space, _ = load_model_and_space(config, (3, 32, 32))
    # the stem, the last conv and the hidden width of every block's second branch; split + shuffle keep the
    # streams
    assert space.names[0] == 'backbone.conv1.conv' and space.names[-1] == 'backbone.layers.3.conv'
    assert len(space.names) == 18 and all(name.endswith('branch2.0.conv') for name in space.names[1:-1])
    fixed = {g.name: g.fixed_reason for g in space.graph.groups if not g.searchable}
    assert fixed['backbone.layers.0.1.branch2.2.conv'].startswith('reshaped from')
    assert_verifies(config, (3, 32, 32))


def test_convnext_channels_last_mlp_is_searched():
    config = package_config('mmpretrain', 'convnext/convnext-tiny_32xb128_in1k.py')
    _, space, _ = load_model_and_space(config, (3, 32, 32))
    assert len(space.names) == 18 and all(name.endswith('pointwise_conv1') for name in space.names)
    group = space.graph.group('backbone.stages.2.0.pointwise_conv1')
    assert group.channels == 4 * 384 and group.members == [
        'backbone.stages.2.0.pointwise_conv1:out', 'backbone.stages.2.0.pointwise_conv2:in']
    layer = next(layer for layer in space.graph.layers if layer.name == 'backbone.stages.2.0.pointwise_conv1')
    assert layer.macs_coef == 2 * 2  # a 32 x 32 input reaches stage 2 at 2 x 2 positions
    assert_verifies(config, (3, 32, 32))


def test_mobileone_verifies_at_its_output_scale():
    """MobileOne's randomised norms give outputs of ~1e5, where float32 rounding alone differs by ~1e-2 between the
    dynamic and the exported model: outputs match relative to their scale (an absolute 1e-4 refused the left
    pattern), a tolerance that a wrong channel selection (the right pattern's export) exceeds a thousandfold."""
    config = package_config('mmpretrain', 'mobileone/mobileone-s0_8xb32_in1k.py')
    rows = verify_subnets(config, num_random=1, input_shape=(3, 64, 64))
    assert all(row['ok'] for row in rows), rows
    assert all(row['output_scale'] > 1e3 and row['max_abs_diff'] <= 1e-5 * row['output_scale'] for row in rows)

    model, space, _ = load_model_and_space(config, (3, 64, 64))
    model.eval()
    half = {name: space.channels(name) // 2 for name in space.names}
    left, right = (subnet_index_sets(space.full(), half, pattern) for pattern in ('left', 'right'))
    inputs = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        with DynamicSupernet(model, space).subnet(left):
            dynamic = forward_tensor(model, inputs)
        wrong = forward_tensor(export_static_model(model, space, right).eval(), inputs)
    assert (dynamic - wrong).abs().max() > 1e3 * 1e-5 * wrong.abs().max()
