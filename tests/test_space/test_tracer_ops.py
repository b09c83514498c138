"""The tracer follows channels through layouts, slices and shuffles, and records models torch.fx cannot trace.

Each hand-written module isolates one operation; every space is also checked end to end (dynamic subnet ==
exported static model, analytic == counted FLOPs and params) for the left, right and random sharing patterns, so
that a wrong index shows as a mismatch.
"""
import logging

import pytest
import torch
from conftest import build_package_model
from mmengine.logging import MMLogger
from torch import nn

from mmwidth.apis.analysis import verify_model_subnets
from mmwidth.registry import CHANNEL_OPS
from mmwidth.space import capture
from mmwidth.space.ops import channel_op
from mmwidth.space.trace_values import TracedTensor
from mmwidth.space.tracer import ChannelTraceError, ChannelTracer
from mmwidth.space.width_space import WidthSpace


def searchable(graph):
    return {g.name: g for g in graph.groups if g.searchable}


def fixed(graph):
    return {g.name: g.fixed_reason for g in graph.groups if not g.searchable}


def assert_subnets_verify(model, shape, num_random=2):
    space = WidthSpace.from_model(model, shape)
    rows = verify_model_subnets(model, space, [space.smallest()], num_random=num_random)
    assert len(rows) == 3 * (1 + num_random)
    bad = [row for row in rows if not row['ok']]
    assert not bad, bad
    return space


class ChannelsLastMLP(nn.Module):
    """ConvNeXt's pattern: permute to channels-last, Linear - GELU - Linear on the channels, permute back."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 8)
        self.head = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        x = self.stem(x)
        y = self.fc2(nn.functional.gelu(self.fc1(x.permute(0, 2, 3, 1))))
        return self.head(x + y.transpose(1, 3).transpose(2, 3))


def test_linear_on_channels_last_is_a_channel_layer():
    graph = ChannelTracer().trace(ChannelsLastMLP(), (3, 5, 4))
    groups = searchable(graph)
    assert set(groups) == {'fc1', 'residual'}
    assert groups['fc1'].members == ['fc1:out', 'fc2:in']
    assert set(groups['residual'].members) == {'stem:out', 'fc1:in', 'fc2:out', 'head:in'}
    fc1 = next(layer for layer in graph.layers if layer.name == 'fc1')
    assert fc1.macs_coef == 5 * 4  # every position is a token
    space = assert_subnets_verify(ChannelsLastMLP(), (3, 5, 4))
    assert space.flops(space.full()) == 20 * (3 * 8 * 9 + 8 * 16 + 16 * 8 + 8 * 2)


class TokenMixer(nn.Module):
    """A linear layer over the width dimension (not the channels) keeps both its widths and the channels'."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 1)
        self.mix = nn.Linear(4, 4)
        self.head = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        return self.head(self.mix(self.stem(x)))


def test_linear_along_another_dimension_keeps_channels():
    graph = ChannelTracer().trace(TokenMixer(), (3, 4, 4))
    assert not searchable(graph)
    reasons = fixed(graph)
    assert 'mixed along another dimension by linear mix' in reasons['stem']
    assert 'mixed along another dimension by linear mix' in reasons['mix']


class ChunkNet(nn.Module):
    """Two concatenated branches chunked in halves again: the halves follow the width when both branches keep
    one width (tied), and each half is its branch's group."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 1)
        self.b = nn.Conv2d(3, 4, 1)
        self.pa = nn.Conv2d(4, 2, 1)
        self.pb = nn.Conv2d(4, 3, 1)

    def forward(self, x):
        first, second = torch.cat([self.a(x), self.b(x)], dim=1).chunk(2, dim=1)
        return self.pa(first), self.pb(second)


def test_chunk_of_concatenated_branches_ties_them():
    graph = ChannelTracer().trace(ChunkNet(), (3, 4, 4))
    groups = searchable(graph)
    assert list(groups) == ['a']
    assert set(groups['a'].producers) == {'a', 'b'}
    assert {'pa:in', 'pb:in'} <= set(groups['a'].members)
    assert_subnets_verify(ChunkNet(), (3, 4, 4))


class TailNet(nn.Module):
    """Slices at offsets the code holds as numbers: the channels before an offset keep their width, the last
    branch of a slice to the end stays searchable."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 1)
        self.b = nn.Conv2d(3, 6, 1)
        self.pa = nn.Conv2d(4, 2, 1)
        self.pb = nn.Conv2d(6, 2, 1)

    def forward(self, x):
        y = torch.cat([self.a(x), self.b(x)], dim=1)
        return self.pa(y.narrow(1, 0, 4)) + self.pb(y[:, 4:])


def test_slices_at_fixed_offsets_keep_the_channels_before_them():
    graph = ChannelTracer().trace(TailNet(), (3, 4, 4))
    assert list(searchable(graph)) == ['b']
    assert 'pb:in' in graph.group('b').members
    assert fixed(graph)['a'].startswith('sliced at fixed channel offsets')
    assert_subnets_verify(TailNet(), (3, 4, 4))


class CutNet(nn.Module):
    """chunk cuts one group in halves; split sizes and a slice cut across two groups: all of them are kept."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 1)
        self.b = nn.Conv2d(3, 6, 1)
        self.c = nn.Conv2d(3, 8, 1)
        self.pa = nn.Conv2d(2, 2, 1)
        self.pb = nn.Conv2d(4, 2, 1)

    def forward(self, x):
        first, second = self.c(x).chunk(2, dim=1)
        y = torch.cat([self.a(x), self.b(x)], dim=1)
        p, q = y.split([4, 6], dim=1)
        return self.pa(first[:, :2]) + self.pb(second) + self.pb(y[:, 2:6]) + self.pb(p) + self.pb(q[:, 2:])


def test_split_through_a_group_fixes_it():
    graph = ChannelTracer().trace(CutNet(), (3, 4, 4))
    assert not searchable(graph)
    reasons = fixed(graph)
    assert reasons['c'].startswith('split through its channels')
    assert reasons['b'].startswith('sliced at fixed channel offsets')
    assert set(reasons) >= {'a', 'b', 'c'}  # a also shares pb's inputs with a half of c
    assert_subnets_verify(CutNet(), (3, 4, 4), num_random=0)


class ShuffleNet(nn.Module):
    """ShuffleNet's channel shuffle: view into (groups, channels per group), transpose, view back."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 1)
        self.a = nn.Conv2d(8, 4, 1)
        self.b = nn.Conv2d(8, 4, 1)
        self.head = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        x = self.stem(x)
        y = torch.cat([self.a(x), self.b(x)], dim=1)
        n, c, h, w = y.shape
        y = y.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, -1, h, w)
        return self.head(y)


def test_channel_shuffle_fixes_the_interleaved_groups():
    graph = ChannelTracer().trace(ShuffleNet(), (3, 4, 4))
    assert list(searchable(graph)) == ['stem']
    reasons = fixed(graph)
    assert reasons['a'].startswith('reshaped from [1, 8, 4, 4] to [1, 2, 4, 4, 4]')
    assert reasons['b'] == reasons['a']
    assert_subnets_verify(ShuffleNet(), (3, 4, 4))


def test_layer_scale_parameter_fixes_its_channels():

    class LayerScale(nn.Module):

        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 4, 1)
            self.conv = nn.Conv2d(4, 6, 1)
            self.gamma = nn.Parameter(torch.ones(6))
            self.head = nn.Conv2d(6, 2, 1)

        def forward(self, x):
            return self.head(self.conv(self.stem(x)).mul(self.gamma.view(1, -1, 1, 1)))

    graph = ChannelTracer().trace(LayerScale(), (3, 4, 4))
    assert list(searchable(graph)) == ['stem']
    assert fixed(graph)['conv'].startswith('scaled by a per-channel tensor')


class Traceable(nn.Module):

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.branch = nn.Sequential(nn.Conv2d(8, 6, 1), nn.BatchNorm2d(6), nn.ReLU(), nn.Conv2d(6, 8, 1))
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        x = self.stem(x)
        x = x + self.branch(x)
        return self.head(torch.flatten(x.mean((2, 3), keepdim=True), 1))


class Untraceable(Traceable):
    """The same network, written with what torch.fx cannot follow: control flow on a tensor's value and on
    ``requires_grad``, and iteration over a tensor."""

    def forward(self, x):
        x = self.stem(x)
        if x.requires_grad:
            x = x.detach()
        if x.abs().sum() >= 0:
            x = x + self.branch(x)
        pooled = torch.stack([sample.mean((1, 2)) for sample in x])
        return self.head(pooled)


def _log_records():
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    MMLogger.get_current_instance().addHandler(handler)
    return records, handler


def test_runtime_tracer_gives_the_same_groups_as_torch_fx():
    records, handler = _log_records()
    try:
        untraceable = ChannelTracer().trace(Untraceable(), (3, 4, 4))
    finally:
        MMLogger.get_current_instance().removeHandler(handler)
    assert any('traced Untraceable.forward by recording one forward pass' in r.getMessage() for r in records)
    traceable = ChannelTracer().trace(Traceable(), (3, 4, 4))
    summary = lambda graph: [(g.name, g.channels, g.fixed_reason, g.members) for g in graph.groups]  # noqa: E731
    assert summary(untraceable) == summary(traceable)
    assert [(layer.name, layer.macs_coef) for layer in untraceable.layers] == \
        [(layer.name, layer.macs_coef) for layer in traceable.layers]
    assert_subnets_verify(Untraceable(), (3, 4, 4))


def fx_fails(root, input_shape):
    raise ChannelTraceError('torch.fx is switched off')


def test_runtime_tracer_matches_torch_fx_on_a_real_model(monkeypatch):
    model = build_package_model('resnet18_cifar')
    expected = ChannelTracer().trace(model, (3, 16, 16))
    monkeypatch.setattr(capture, '_fx_graph', fx_fails)
    recorded = ChannelTracer().trace(model, (3, 16, 16))
    summary = lambda graph: [(g.name, g.channels, g.fixed_reason, g.members) for g in graph.groups]  # noqa: E731
    assert summary(recorded) == summary(expected)
    assert [(layer.name, layer.inputs, layer.output, layer.macs_coef) for layer in recorded.layers] == \
        [(layer.name, layer.inputs, layer.output, layer.macs_coef) for layer in expected.layers]


def test_model_that_cannot_run_names_the_module():

    class Broken(Untraceable):

        def __init__(self):
            super().__init__()
            self.branch[3] = nn.Conv2d(5, 8, 1)

    with pytest.raises(ChannelTraceError, match=r'running Broken.forward .* failed in module "branch.3": '
                                                r'RuntimeError'):
        ChannelTracer().trace(Broken(), (3, 4, 4))


def test_unknown_operation_in_recorded_model_names_module_and_op():

    class Rolled(Untraceable):

        def forward(self, x):
            if x.sum() > 0:
                x = x.neg()
            return self.head(torch.roll(self.stem(x), 1, dims=1).mean((2, 3)))

    with pytest.raises(ChannelTraceError, match=r'roll in module "<top level of the model>"'):
        ChannelTracer().trace(Rolled(), (3, 4, 4))


class ObjectContextNet(nn.Module):
    """OCRNet's SpatialGatherModule and the conv after it: class probabilities gather the features by a matmul,
    ``permute(0, 2, 1)`` and ``unsqueeze(3)`` make the class axis dim 2, and a 1x1 conv reads the features' 16
    channels at dim 1. The gathering runs in the head, outside the searched backbone."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                                      nn.Conv2d(8, 16, 1))
        self.cls = nn.Conv2d(16, 5, 1)
        self.key = nn.Conv2d(16, 6, 1)

    def forward(self, x):
        feats = self.backbone(x)
        probs = self.cls(feats)
        b, k = probs.shape[:2]
        probs = torch.softmax(probs.view(b, k, -1), dim=2)
        context = torch.matmul(probs, feats.view(b, feats.shape[1], -1).permute(0, 2, 1))  # [b, k, c]
        return self.key(context.permute(0, 2, 1).contiguous().unsqueeze(3))  # conv on [b, c, k, 1]


def test_a_channel_axis_moved_off_dim_1_is_not_a_convs_input():
    graph = ChannelTracer().trace(ObjectContextNet(), (3, 4, 4))
    key = next(layer for layer in graph.layers if layer.name == 'key')
    assert graph.in_channels(key, [g.channels for g in graph.groups]) == 16
    assert 'computed by operations the tracer does not follow' in graph.groups[key.inputs[0].group].fixed_reason
    assert graph.uncounted == ('matmul in the top level', )
    assert set(searchable(graph)) == {'backbone.0'}
    space = assert_subnets_verify(ObjectContextNet(), (3, 4, 4))
    assert space.params(space.full()) == sum(p.numel() for p in ObjectContextNet().parameters())
    assert space.to_dict()['uncounted'] == ['matmul in the top level']


class FlippedNet(nn.Module):
    """``torch.flip`` along a spatial dim: an op the tracer has no rule for."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.head = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        return self.head(torch.flip(self.stem(x), dims=(3, )))


def test_a_user_registered_op_rule_is_dispatched_to():
    with pytest.raises(ChannelTraceError, match='through flip in module "<top level of the model>".*CHANNEL_OPS'):
        ChannelTracer().trace(FlippedNet(), (3, 4, 4))

    @channel_op('flip')
    def spatial_flip(trace, op, x, args, kwargs, meta, where):
        """A flip along spatial dims keeps every channel where it is."""
        return TracedTensor(meta.shape, x.layout, x.channel_dim)

    try:
        assert set(searchable(ChannelTracer().trace(FlippedNet(), (3, 4, 4)))) == {'stem'}
        assert_subnets_verify(FlippedNet(), (3, 4, 4), num_random=1)
    finally:
        CHANNEL_OPS.module_dict.pop('flip')


class HeldWidth(nn.Module):
    """Flattens its features to tokens with their width read from the tensor or written as a number (as Swin's
    ``out.view(-1, *hw_shape, self.num_features[i])``)."""

    def __init__(self, written: bool):
        super().__init__()
        self.written = written
        self.stem = nn.Conv2d(3, 8, 1)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        x = self.stem(x)
        width = 8 if self.written else x.size(1)
        return self.head(x.view(x.size(0), width, -1).transpose(1, 2))


@pytest.mark.parametrize('recorded', [False, True], ids=['torch.fx', 'recorded'])
def test_a_width_written_as_a_number_in_a_reshape_fixes_its_channels(monkeypatch, recorded):
    if recorded:
        monkeypatch.setattr(capture, '_fx_graph', fx_fails)
    graph = ChannelTracer().trace(HeldWidth(written=True), (3, 4, 4))
    assert fixed(graph)['stem'] == 'reshaped to a width written as a number (8) in the top level'
    graph = ChannelTracer().trace(HeldWidth(written=False), (3, 4, 4))
    assert set(searchable(graph)) == {'stem'}
    assert_subnets_verify(HeldWidth(written=False), (3, 4, 4))
