"""Grouped convs, transposed convs, group norms and layer norms over channels are searched, sliced, exported and
counted right: on tiny modules that isolate each one, and on stock configs (ResNeXt, RegNetX, CenterNet)."""
import numpy as np
import pytest
import torch
from conftest import package_config
from mmengine.config import Config
from mmpretrain.models.utils import LayerNorm2d
from torch import nn
from torch.nn import functional as F

from mmwidth.apis.analysis import _randomise_norms, load_model_and_space, verify_subnets
from mmwidth.estimators.counter import count_flops_params
from mmwidth.export.static_model import export_static_model
from mmwidth.layers import layer_type, layer_type_of
from mmwidth.sharing.index_sets import index_tensor, keeps_blocks, local_free, subnet_index_sets
from mmwidth.space.width_space import SubnetError, WidthSpace, bin_edges
from mmwidth.supernet.dynamic_supernet import DynamicSupernet, layer_index_sets
from mmwidth.supernet.resize import resize_layers
from mmwidth.utils.errors import ConfigError

PATTERNS = ('left', 'right', 'random')


class GroupedBottleneck(nn.Module):
    """A ResNeXt-like block: 1x1 conv, grouped 3x3 conv (4 groups), grouped 1x1 conv (2 groups) back onto a
    residual stream."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.conv1 = nn.Sequential(nn.Conv2d(16, 24, 1), nn.BatchNorm2d(24), nn.ReLU())
        self.conv2 = nn.Sequential(nn.Conv2d(24, 24, 3, padding=1, groups=4), nn.BatchNorm2d(24), nn.ReLU())
        self.conv3 = nn.Sequential(nn.Conv2d(24, 16, 1, groups=2), nn.BatchNorm2d(16))
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        x = self.stem(x)
        x = F.relu(x + self.conv3(self.conv2(self.conv1(x))))
        return self.fc(x.mean(dim=(2, 3)))


class Upsampler(nn.Module):
    """A conv, a transposed conv and a grouped transposed conv (CenterNet's neck in small)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.up1 = nn.Sequential(nn.ConvTranspose2d(8, 6, 4, stride=2, padding=1), nn.BatchNorm2d(6), nn.ReLU())
        self.up2 = nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1, output_padding=1, groups=2, bias=False)
        self.head = nn.Conv2d(4, 2, 1)

    def forward(self, x):
        return self.head(F.relu(self.up2(self.up1(self.conv(x)))))


class ChannelNorms(nn.Module):
    """Group norm and mmpretrain's LayerNorm2d on NCHW maps, a layer norm of features after a linear."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 12, 3, padding=1)
        self.gn = nn.GroupNorm(3, 12)
        self.conv2 = nn.Conv2d(12, 10, 3, padding=1)
        self.ln2d = LayerNorm2d(10)
        self.fc1 = nn.Linear(10, 8)
        self.ln = nn.LayerNorm(8, bias=False)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        x = F.relu(self.gn(self.conv1(x)))
        x = F.relu(self.ln2d(self.conv2(x)))
        return self.fc2(F.relu(self.ln(self.fc1(x.mean(dim=(2, 3))))))


def masked_reference(model, space, index_sets, x):
    """The full model with the channels outside a subnet zeroed at every conv and linear input: a subnet of
    channel-wise layers computes exactly this, whatever the dynamic layers and the exporter do."""
    graph = space.graph
    group_index = {graph.index[name]: index for name, index in index_sets.items()}
    handles = []
    for layer in graph.layers:
        if layer.kind == 'norm' or layer.depthwise:
            continue
        in_index, _ = layer_index_sets(graph, layer, group_index)
        if in_index is None:
            continue
        module = model.get_submodule(layer.name)
        mask = torch.zeros(module.in_channels if hasattr(module, 'in_channels') else module.in_features)
        mask[index_tensor(in_index, len(mask))] = 1
        shape = (1, -1) + (1, ) * (x.dim() - 2) if hasattr(module, 'in_channels') else (1, -1)
        handles.append(module.register_forward_pre_hook(
            lambda _, args, mask=mask.view(shape): (args[0] * mask, ) + tuple(args[1:])))
    try:
        with torch.no_grad():
            return model(x)
    finally:
        for handle in handles:
            handle.remove()


def subnet_outputs(model, space, index_sets, x):
    """Outputs of the dynamic subnet and of its exported static model, and the exported model."""
    with torch.no_grad(), DynamicSupernet(model, space).subnet(index_sets):
        dynamic = model(x)
    static = export_static_model(model, space, index_sets).eval()
    with torch.no_grad():
        return dynamic, static(x), static


def prepared(model):
    model.eval()
    _randomise_norms(model, torch.Generator().manual_seed(0))
    return model


# ------------------------------------------------------------------------------------------------ grouped convs
def test_grouped_convs_split_their_groups_into_blocks():
    space = WidthSpace.from_model(GroupedBottleneck(), (3, 8, 8))
    assert space.names == ['residual', 'conv1.0', 'conv2.0']
    # conv1's outputs feed 4 groups of conv2; conv2's outputs feed 4 groups and 2 groups (lcm 4); the residual
    # stream is the 2-group conv3's output
    assert space.blocks == {'residual': 2, 'conv1.0': 4, 'conv2.0': 4}
    assert space.choices['conv1.0'] == [4, 8, 12, 16, 20, 24]
    assert space.choices['residual'] == list(range(2, 17, 2))
    with pytest.raises(SubnetError, match='not a multiple of 4'):
        space.check_subnet({'residual': 8, 'conv1.0': 10, 'conv2.0': 8})


@pytest.mark.parametrize('pattern', PATTERNS)
def test_grouped_subnet_equals_masked_and_exported_model(pattern):
    model = prepared(GroupedBottleneck())
    space = WidthSpace.from_model(model, (3, 8, 8))
    subnet = {'residual': 6, 'conv1.0': 8, 'conv2.0': 12}
    index_sets = subnet_index_sets(space.full(), subnet, pattern, torch.Generator().manual_seed(1), space.blocks)
    x = torch.randn(2, 3, 8, 8)
    dynamic, exported, static = subnet_outputs(model, space, index_sets, x)
    torch.testing.assert_close(dynamic, masked_reference(model, space, index_sets, x), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(exported, dynamic, atol=1e-5, rtol=1e-5)
    # the exported grouped convs keep their groups, with fewer channels in each
    assert (static.conv2[0].groups, static.conv2[0].in_channels, static.conv2[0].out_channels) == (4, 8, 12)
    assert (static.conv3[0].groups, static.conv3[0].in_channels, static.conv3[0].out_channels) == (2, 12, 6)
    # analytic FLOPs/params: bilinear in out x in / groups, equal to a count of the exported model
    assert (space.flops(subnet), space.params(subnet)) == count_flops_params(static, (3, 8, 8))
    assert space.flops(subnet) == 64 * (27 * 6 + 6 * 8 + 9 * 12 * 8 // 4 + 6 * 12 // 2) + 6 * 5


def test_block_patterns_keep_the_same_positions_in_every_block():
    sets = subnet_index_sets(dict(a=12, b=12), dict(a=6, b=12), 'right', blocks=dict(a=3, b=3))
    assert sets['a'].tolist() == [2, 3, 6, 7, 10, 11] and sets['b'] is None
    drawn = subnet_index_sets(dict(a=12), dict(a=6), 'random', torch.Generator().manual_seed(0), dict(a=3))['a']
    assert drawn.view(3, 2).sub(torch.tensor([[0], [4], [8]])).unique(dim=0).shape == (1, 2)
    # CafeNet's free bins: bins of one block, placed alike in each
    edges = bin_edges(24, bins=4, blocks=2)
    assert edges == [6, 12, 18, 24]
    for seed in range(5):
        placed = local_free(edges, 2, 1, torch.Generator().manual_seed(seed), blocks=2)
        first, second = placed[:6], placed[6:]
        assert placed.numel() == 12 and torch.equal(second, first + 12)
        assert first[:3].tolist() == [0, 1, 2]  # the base bin of the block


def test_flops_sensitive_bins_and_free_placements_keep_blocks():
    space = WidthSpace(WidthSpace.from_model(GroupedBottleneck(), (3, 8, 8)).graph, flops_bins=dict(min_bin=2,
                                                                                                   max_bin=8))
    for name in space.names:
        blocks, edges = space.blocks[name], space.edges[name]
        assert blocks > 1 and all(edge % blocks == 0 for edge in edges) and edges[-1] == space.channels(name)
        for bins in range(1, len(edges)):
            placed = local_free(edges, bins, 2, torch.Generator().manual_seed(bins), blocks)
            assert keeps_blocks(placed, edges[-1], blocks) and placed.numel() == edges[bins - 1]


def test_bin_edges_per_block():
    assert bin_edges(128, ratios=[0.25, 0.5, 1.0], blocks=32) == [32, 64, 128]
    assert bin_edges(64, bin_size=8, blocks=4) == [8, 16, 24, 32, 40, 48, 56, 64]
    assert bin_edges(48, divisor=8, blocks=3) == [24, 48]  # multiples of lcm(8, 3)
    assert bin_edges(12, bins=8, blocks=4) == [4, 4, 8, 8, 8, 12, 12, 12]  # empty bins still count


# ----------------------------------------------------------------------------------------- transposed convs
def test_transposed_convs_are_searched_and_counted():
    model = prepared(Upsampler())
    space = WidthSpace.from_model(model, (3, 8, 8))
    assert space.names == ['conv.0', 'up1.0', 'up2'] and space.blocks['up2'] == 2
    up1 = space.graph.layers[[layer.name for layer in space.graph.layers].index('up1.0')]
    assert up1.transposed and up1.macs_coef == 4 * 4 * 16  # input positions x kernel area
    # MACs of a transposed conv: input positions x kernel x in x out / groups
    full = 16 * 27 * 8 + 16 * 16 * 8 * 6 + 64 * 9 * 6 * 4 // 2 + 256 * 4 * 2
    assert space.flops(space.full()) == full == count_flops_params(model, (3, 8, 8))[0]
    x = torch.randn(2, 3, 8, 8)
    subnet = {'conv.0': 5, 'up1.0': 4, 'up2': 2}
    for pattern in PATTERNS:
        index_sets = subnet_index_sets(space.full(), subnet, pattern, torch.Generator().manual_seed(2), space.blocks)
        dynamic, exported, static = subnet_outputs(model, space, index_sets, x)
        torch.testing.assert_close(dynamic, masked_reference(model, space, index_sets, x), atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(exported, dynamic, atol=1e-5, rtol=1e-5)
        assert (static.up2.in_channels, static.up2.out_channels, static.up2.groups) == (4, 2, 2)
        assert static.up1[0].weight.shape == (5, 4, 4, 4)
        assert (space.flops(subnet), space.params(subnet)) == count_flops_params(static, (3, 8, 8))


# ------------------------------------------------------------------------------------------- channel norms
def test_group_and_layer_norms_follow_the_width():
    model = prepared(ChannelNorms())
    space = WidthSpace.from_model(model, (3, 6, 6))
    assert space.names == ['conv1', 'conv2', 'fc1'] and space.blocks == {'conv1': 3, 'conv2': 1, 'fc1': 1}
    assert space.choices['conv1'] == [3, 6, 9, 12]
    subnet = {'conv1': 6, 'conv2': 7, 'fc1': 5}
    x = torch.randn(2, 3, 6, 6)
    for pattern in PATTERNS:
        index_sets = subnet_index_sets(space.full(), subnet, pattern, torch.Generator().manual_seed(3), space.blocks)
        dynamic, exported, static = subnet_outputs(model, space, index_sets, x)
        torch.testing.assert_close(exported, dynamic, atol=1e-5, rtol=1e-5)
        assert (static.gn.num_groups, static.gn.num_channels) == (3, 6)
        assert static.ln2d.normalized_shape == (7, ) and static.ln2d.num_channels == 7
        assert static.ln.normalized_shape == (5, ) and static.ln.bias is None
        # params: 2 per channel of the affine norms, 1 of the bias-free layer norm
        assert (space.flops(subnet), space.params(subnet)) == count_flops_params(static, (3, 6, 6))
    # the dynamic group norm normalises the kept channels in the norm's own 3 groups
    index_sets = subnet_index_sets(space.full(), subnet, 'right', blocks=space.blocks)
    kept = index_sets['conv1']
    features = {}
    with torch.no_grad(), DynamicSupernet(model, space).subnet(index_sets):
        handle = model.gn.register_forward_hook(lambda m, args, out: features.update(x=args[0], out=out))
        model(x)
        handle.remove()
    expected = F.group_norm(features['x'], 3, model.gn._parameters['weight'][kept],
                            model.gn._parameters['bias'][kept], model.gn.eps)
    torch.testing.assert_close(features['out'], expected)


def test_norms_that_cannot_follow_a_width_fix_their_channels():
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.LayerNorm(6), nn.Conv2d(4, 4, 1), nn.InstanceNorm2d(4),
                          nn.Conv2d(4, 5, 1), nn.GroupNorm(5, 5), nn.Conv2d(5, 2, 1))
    reasons = {g.name: g.fixed_reason for g in WidthSpace.from_model(model, (3, 6, 6)).graph.groups}
    assert 'LayerNorm' in reasons['0']  # normalises the last spatial dim, not the channels
    assert 'InstanceNorm2d' in reasons['2']
    assert 'one channel per block' in reasons['4']


# ------------------------------------------------------------------------------------------------ resizing
@pytest.mark.parametrize('module,subnet', [(GroupedBottleneck, {'residual': 6, 'conv1.0': 8, 'conv2.0': 12}),
                                           (Upsampler, {'conv.0': 5, 'up1.0': 4, 'up2': 2}),
                                           (ChannelNorms, {'conv1': 6, 'conv2': 7, 'fc1': 5})])
def test_resized_model_loads_the_exported_weights(module, subnet):
    """What an exported config builds (a fresh model resized to the subnet) holds the exported weights."""
    model, fresh = prepared(module()), module().eval()
    space = WidthSpace.from_model(model, (3, 8, 8))
    static = export_static_model(model, space, subnet_index_sets(space.full(), subnet, 'random', blocks=space.blocks))
    resize_layers(fresh, space.graph, {space.graph.index[name]: width for name, width in subnet.items()})
    fresh.load_state_dict(static.state_dict())
    x = torch.randn(1, 3, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(fresh(x), static.eval()(x))


def test_resizing_keeps_whole_blocks():
    model = GroupedBottleneck()
    space = WidthSpace.from_model(model, (3, 8, 8))
    with pytest.raises(ConfigError, match='4 blocks; it cannot have 18 channels'):
        resize_layers(model, space.graph, {space.graph.index['conv1.0']: 18})
    resize_layers(model, space.graph, {space.graph.index['conv1.0']: 32})  # BCNetV2 widens by whole blocks
    assert (model.conv2[0].in_channels, model.conv2[0].groups) == (32, 4)
    assert model(torch.randn(1, 3, 8, 8)).shape == (1, 5)


# ---------------------------------------------------------------------------------------------- stock configs
def verify(config, input_shape=(3, 64, 64)):
    rows = verify_subnets(config, num_random=1, input_shape=input_shape)
    assert [row['pattern'] for row in rows] == list(PATTERNS)
    bad = [row for row in rows if not row['ok']]
    assert not bad, bad


@pytest.mark.parametrize('relative,least', [('resnext/resnext50-32x4d_8xb32_in1k.py', 20),
                                            ('regnet/regnetx-400mf_8xb128_in1k.py', 10)])
def test_grouped_conv_models_have_real_spaces_and_verify(relative, least):
    config = package_config('mmpretrain', relative)
    _, space, _ = load_model_and_space(config, (3, 32, 32))
    grouped = [name for name in space.names if space.blocks[name] > 1]
    assert len(space.names) >= least and len(grouped) >= least
    widths = space.sample(np.random.default_rng(0))
    assert all(widths[name] % space.blocks[name] == 0 for name in space.names)
    verify(config, (3, 32, 32))


def test_centernet_neck_transposed_convs_verify():
    cfg = Config.fromfile(package_config('mmdet', 'centernet/centernet_r18_8xb16-crop512-140e_coco.py'))
    cfg.width_space = dict(scope=['backbone', 'neck'])
    _, space, _ = load_model_and_space(cfg, (3, 64, 64))
    transposed = {layer.output for layer in space.graph.layers if layer.transposed}
    assert len(transposed) == 3 and all(space.graph.groups[g].searchable for g in transposed)
    verify(cfg)


def test_export_refuses_index_sets_that_ignore_blocks():
    model = GroupedBottleneck()
    space = WidthSpace.from_model(model, (3, 8, 8))
    subnet = {'residual': 6, 'conv1.0': 8, 'conv2.0': 12}
    with pytest.raises(ValueError, match='same channels in each of its 2 blocks'):
        export_static_model(model, space, subnet_index_sets(space.full(), subnet, 'right'))


def test_layer_families_are_found_by_kind_and_along_the_mro():
    from mmcv.cnn.bricks import Conv2dAdaptivePadding
    assert layer_type_of(Conv2dAdaptivePadding(3, 4, 3)) is layer_type('conv')
    assert layer_type_of(nn.ConvTranspose2d) is layer_type('conv')
    assert layer_type_of(nn.SyncBatchNorm(4)) is layer_type_of(nn.LayerNorm(4)) is layer_type('norm')
    assert layer_type_of(nn.InstanceNorm2d(4)) is layer_type('fixing_norm')
    assert layer_type_of(nn.Linear(2, 2)).input_dim == -1
    assert layer_type_of(nn.ReLU()) is None
    assert layer_type_of(nn.MultiheadAttention(8, 2)) is layer_type('attention')
    with pytest.raises(KeyError, match='no channel layer family "capsule"'):
        layer_type('capsule')
