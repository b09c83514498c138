"""The tracer finds the right channel groups on real OpenMMLab models and on tricky hand-made graphs."""
import pytest
import torch
from conftest import ConcatNet, build_package_model
from mmengine.model import BaseModel
from torch import nn

from mmwidth.space.tracer import ChannelTraceError, ChannelTracer
from mmwidth.space.width_space import WidthSpace


@pytest.fixture(scope='module')
def resnet50_graph():
    return ChannelTracer().trace(build_package_model('resnet50'), (3, 224, 224))


def searchable(graph):
    return {g.name: g for g in graph.groups if g.searchable}


def test_resnet50_has_37_named_groups(resnet50_graph):
    groups = searchable(resnet50_graph)
    assert len(groups) == 37
    # one residual stream per stage, one group per bottleneck conv1/conv2, the stem
    for stage, width in zip(range(1, 5), (256, 512, 1024, 2048)):
        assert groups[f'backbone.layer{stage}.residual'].channels == width
    assert groups['backbone.conv1'].channels == 64
    assert groups['backbone.layer1.0.conv1'].channels == 64
    assert groups['backbone.layer4.2.conv2'].channels == 512
    residual = groups['backbone.layer1.residual']
    assert set(residual.producers) == {'backbone.layer1.0.conv3', 'backbone.layer1.0.downsample.0',
                                       'backbone.layer1.1.conv3', 'backbone.layer1.2.conv3'}
    # consumers of the stream: the next blocks' conv1 and the next stage's first conv1 and downsample
    for member in ('backbone.layer1.1.conv1:in', 'backbone.layer2.0.conv1:in',
                   'backbone.layer2.0.downsample.0:in', 'backbone.layer1.0.downsample.1:norm'):
        assert member in residual.members


def test_classifier_output_and_input_are_fixed(resnet50_graph):
    fixed = {g.name: g.fixed_reason for g in resnet50_graph.groups if not g.searchable}
    assert fixed == {'input': 'network input', 'head.fc': 'model output'}


def test_mobilenet_v2_has_25_groups():
    graph = ChannelTracer().trace(build_package_model('mobilenet_v2'), (3, 224, 224))
    groups = searchable(graph)
    assert len(groups) == 25
    # the first block's depthwise conv passes the stem's channels through
    assert 'backbone.layer1.0.conv.0.conv:depthwise' in groups['backbone.conv1.conv'].members
    # a stage with several blocks is one residual stream
    assert groups['backbone.layer3.residual'].channels == 32


def test_efficientnet_squeeze_excite_ties_hidden_width():
    graph = ChannelTracer().trace(build_package_model('efficientnet_b0'), (3, 224, 224))
    groups = searchable(graph)
    hidden = groups['backbone.layers.2.0.expand_conv.conv']
    # SE's expanding conv output multiplies the hidden activations, so it shares their width
    assert 'backbone.layers.2.0.se.conv2.conv:out' in hidden.members
    assert 'backbone.layers.2.0.depthwise_conv.conv:depthwise' in hidden.members
    assert 'backbone.layers.2.0.se.conv1.conv:in' in hidden.members
    # two residual streams inside one stage get their block ranges
    assert {'backbone.layers.4.0-2.residual', 'backbone.layers.4.3-5.residual'} <= set(groups)


def test_retinanet_searches_the_backbone_only():
    graph = ChannelTracer().trace(build_package_model('retinanet'), (3, 128, 128))
    groups = searchable(graph)
    assert all(name.startswith('backbone.') for name in groups)
    # frozen stem and first stage (frozen_stages=1) are not searched
    fixed = {g.name: g.fixed_reason for g in graph.groups if not g.searchable}
    assert 'frozen' in fixed['backbone.layer1.residual']
    assert 'outside the searched scope' in fixed['neck.lateral_convs.residual']
    # the FPN's lateral convs consume the searched stage outputs
    assert 'neck.lateral_convs.0.conv:in' in groups['backbone.layer2.residual'].members
    assert 'neck.lateral_convs.2.conv:in' in groups['backbone.layer4.residual'].members


def test_concat_offsets_depthwise_and_flatten():
    graph = ChannelTracer().trace(ConcatNet(), (3, 8, 8))
    groups = searchable(graph)
    assert set(groups) == {'a', 'b'}
    assert groups['a'].members == ['a:out', 'bn:norm[0:4]', 'dw:depthwise[0:4]', 'fc:in[0:16]']
    assert groups['b'].members == ['b:out', 'bn:norm[4:10]', 'dw:depthwise[4:10]', 'fc:in[16:40]']
    fc = next(layer for layer in graph.layers if layer.name == 'fc')
    assert [seg.factor for seg in fc.inputs] == [4, 4]  # each channel feeds a 2x2 pooled map


class GatedNet(nn.Module):
    """A residual add and a channel gate tie two convs; a shared conv called twice ties its inputs."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 1)
        self.c2 = nn.Conv2d(8, 8, 1)
        self.gate = nn.Conv2d(8, 8, 1)
        self.shared = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        y = self.c1(x)
        z = self.c2(y) + y
        z = z * torch.sigmoid(self.gate(z.mean((2, 3), keepdim=True)))
        return self.shared(z) + self.shared(y)


def test_residual_gate_and_shared_layer_ties():
    graph = ChannelTracer().trace(GatedNet(), (3, 4, 4))
    groups = searchable(graph)
    assert list(groups) == ['residual']
    assert set(groups['residual'].producers) == {'c1', 'c2', 'gate'}
    shared = next(layer for layer in graph.layers if layer.name == 'shared')
    assert shared.macs_coef == 2 * 4 * 4  # both calls are counted


class RollNet(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)
        self.block = nn.Sequential(nn.Conv2d(4, 4, 1))
        self.head = nn.Conv2d(4, 2, 1)

    def forward(self, x):
        return self.head(torch.roll(self.block(self.conv(x)), 1, dims=1))


def test_unknown_operation_names_module_and_op():
    with pytest.raises(ChannelTraceError, match=r'roll.*top level'):
        ChannelTracer().trace(RollNet(), (3, 4, 4))


def test_unknown_operation_in_excluded_module_keeps_channels():
    class Wrapped(RollNet):
        def forward(self, x):
            return self.head(self.block(self.conv(x)))

    graph = ChannelTracer(exclude=['block']).trace(Wrapped(), (3, 4, 4))
    assert list(searchable(graph)) == ['conv']
    assert 'excluded' in graph.group('block.0').fixed_reason


def test_channel_bench_macro_spaces_have_seven_groups():
    from mmwidth.ground_truth.cbm_table import DIGIT_GROUPS, cbm_width_space
    for space in ('resnet', 'mobilenet'):
        assert tuple(cbm_width_space(space).names) == DIGIT_GROUPS[space]


def test_width_space_options_exclude_and_scope():
    model = build_package_model('resnet18_cifar')
    space = WidthSpace.from_model(model, (3, 32, 32), exclude=['backbone.layer4'])
    assert not any(name.startswith('backbone.layer4') for name in space.names)
    assert len(space.names) == 12 - 3
    everything = WidthSpace.from_model(model, (3, 32, 32), scope=[''])
    assert len(everything.names) == 12  # the head's output stays fixed whatever the scope


class _LossOnlyProjection(nn.Module):
    """A classifier whose ``projection`` only a loss would run (on two tensors): no tensor-mode trace reaches it."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU())
        self.head = nn.Conv2d(8, 4, 1)
        self.projection = nn.Bilinear(8, 8, 4)

    def forward(self, x):
        return self.head(self.backbone(x))


def test_a_parameterised_module_no_trace_reaches_is_an_error_unless_declared_fixed():
    with pytest.raises(ChannelTraceError, match=r'parameterised module\(s\) projection\b.*'
                                                r"fixed_modules=\['projection'\]"):
        ChannelTracer().trace(_LossOnlyProjection(), (3, 8, 8))
    graph = ChannelTracer(fixed_modules=['projection']).trace(_LossOnlyProjection(), (3, 8, 8))
    assert graph.entries == ('forward', )
    assert searchable(graph).keys() == {'backbone.0'}


class _PoseLikeEstimator(BaseModel):
    """mmpose's estimators take ``forward(inputs, data_samples, mode)`` with no default for ``data_samples``."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU())
        self.head = nn.Conv2d(8, 17, 1)

    def extract_feat(self, inputs):
        return self.backbone(inputs)

    def forward(self, inputs, data_samples, mode='tensor'):
        assert mode == 'tensor' and data_samples is None
        return self.head(self.extract_feat(inputs))


def test_a_forward_that_requires_data_samples_is_traced_whole():
    graph = ChannelTracer().trace(_PoseLikeEstimator(), (3, 8, 8))
    assert graph.entries == ('forward', )
    head = next(layer for layer in graph.layers if layer.name == 'head')
    assert graph.groups[head.inputs[0].group].name == 'backbone.0' and head.macs_coef == 6 * 6
