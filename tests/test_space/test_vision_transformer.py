"""Vision transformers from mmpretrain (ViT, DeiT with its distillation token): the embedding width is one group
along the residual stream that the cls and distillation tokens and the position embedding are sliced with, each
attention's inner width (a multiple of its heads) and each MLP's hidden width are groups of their own; subnets
verify with analytic == counted FLOPs (the attention matmuls included), and a digits-sized ViT supernet trains
BCNet steps and exports to a plain smaller ViT that computes what the dynamic subnet computes."""
import copy
from pathlib import Path

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

from mmwidth.algorithms.dagger_gates import ChannelGating
from mmwidth.apis.analysis import verify_model_subnets
from mmwidth.estimators.counter import count_per_module
from mmwidth.export.static_model import export_static_model
from mmwidth.sharing.index_sets import subnet_index_sets
from mmwidth.space.width_space import WidthSpace
from mmwidth.supernet.dynamic_supernet import DynamicSupernet
from mmwidth.utils.config import build_model, load_config

CONFIG = Path(__file__).resolve().parents[2] / 'configs' / 'bcnet' / 'bcnet_vit-digits.py'
EMBED, HEADS, HIDDEN, PATCHES = 32, 4, 64, 16  # 16x16 images, 4x4 patches
ARCH = dict(embed_dims=EMBED, num_layers=2, num_heads=HEADS, feedforward_channels=HIDDEN)


def classifier(backbone: str) -> torch.nn.Module:
    init_default_scope('mmpretrain')
    head = dict(type='DeiTClsHead' if backbone == 'DistilledVisionTransformer' else 'VisionTransformerClsHead',
                num_classes=10, in_channels=EMBED)
    return MODELS.build(dict(type='ImageClassifier', neck=None, head=head,
                             backbone=dict(type=backbone, arch=ARCH, img_size=16, patch_size=4)))


@pytest.mark.parametrize('backbone, tokens', [('VisionTransformer', ('cls_token', 'pos_embed')),
                                              ('DistilledVisionTransformer', ('cls_token', 'dist_token', 'pos_embed'))])
def test_tokens_and_embeddings_follow_the_stream_and_subnets_verify(backbone, tokens):
    model = classifier(backbone)
    space = WidthSpace.from_model(model, (3, 16, 16))
    stream = space.graph.group('backbone.layers.residual')
    assert f'backbone:{"+".join(tokens)}' in stream.members and 'backbone.patch_embed.projection:out' in stream.members
    assert {'backbone.layers.0.attn.qkv:in', 'backbone.layers.0.attn.proj:out', 'head.layers.head:in'} <= \
        set(stream.members)
    inner = space.graph.group('backbone.layers.0.attn.qkv')
    assert inner.blocks == HEADS and set(inner.members) == {
        'backbone.layers.0.attn.qkv:out', 'backbone.layers.0.attn:heads', 'backbone.layers.0.attn.proj:in'}
    assert len(space.names) == 5  # the stream, 2 attention inner widths, 2 MLP hidden widths

    rows = verify_model_subnets(model, space, [space.smallest()], num_random=1)
    assert len(rows) == 6 and all(row['ok'] for row in rows), rows

    widths = dict(space.full(), **{'backbone.layers.residual': 16, 'backbone.layers.0.attn.qkv': 8})
    costs = space.estimator.per_module(widths)
    tokens_in = PATCHES + len(tokens) - 1  # the patches and the cls (and distillation) tokens
    assert costs['backbone.layers.0.attn.qkv'] == (3 * tokens_in * 16 * 8, 3 * 16 * 8 + 3 * 8)
    assert costs['backbone.layers.0.attn'] == (2 * tokens_in * tokens_in * 8, 0)  # q k^T and attn v
    assert costs['backbone'] == (0, (len(tokens) - 1 + tokens_in) * 16)  # tokens and one embedding per token
    static = export_static_model(model, space, subnet_index_sets(space.full(), widths, 'right', blocks=space.blocks))
    attn = static.backbone.layers[0].attn
    assert (attn.embed_dims, attn.head_dims, attn.qkv.weight.shape) == (8, 2, (24, 16))
    assert static.backbone.pos_embed.shape == (1, tokens_in, 16)
    assert count_per_module(static, (3, 16, 16)) == costs


def test_a_digits_vit_supernet_trains_bcnet_steps_and_exports_a_plain_smaller_vit():
    torch.manual_seed(0)
    cfg = load_config(str(CONFIG))
    model = build_model(cfg)
    space = model.space
    optim_wrapper = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    before = model.architecture.backbone.cls_token.detach().clone()
    loader = iter(Runner.build_dataloader(copy.deepcopy(cfg.train_dataloader), seed=0))
    model.train()
    for _ in range(3):
        log = model.train_step(next(loader), optim_wrapper)
        assert all(torch.isfinite(value).all() for value in log.values())
    assert not torch.equal(before, model.architecture.backbone.cls_token)

    model.eval()
    subnet = {name: choices[len(choices) // 2] for name, choices in space.choices.items()}
    index_sets = subnet_index_sets(space.full(), subnet, 'right', blocks=space.blocks)
    static = export_static_model(model.architecture, space, index_sets)
    assert sum(p.numel() for p in static.parameters()) == space.params(subnet) < space.params(space.full())
    assert type(static.backbone).__name__ == 'VisionTransformer'
    images = torch.randn(4, 3, 16, 16)
    with torch.no_grad(), DynamicSupernet(model.architecture, space).subnet(index_sets):
        dynamic = model.architecture(images)
    with torch.no_grad():
        torch.testing.assert_close(static(images), dynamic)


def test_dagger_gates_close_the_q_k_and_v_of_an_attention_inner_channel():
    """A closed inner channel closes its q, k and v rows; the tokens' record and the heads' record have no output
    of their own to gate. (The gated network is not the export without the channel: attention scales its logits
    by the head dim in use, which removing dims changes.)"""
    torch.manual_seed(0)
    model = classifier('VisionTransformer').eval()
    space = WidthSpace.from_model(model, (3, 16, 16))
    inner = 'backbone.layers.0.attn.qkv'
    closed = torch.tensor([1, 2, 9, 10, 17, 18, 25, 26])  # the same 2 of every head's 8 dims
    gates = {name: torch.ones(channels) for name, channels in space.full().items()}
    gates[inner][closed] = 0
    seen = {}
    with torch.no_grad(), ChannelGating(model, space).applied(gates):
        model.get_submodule(inner).register_forward_hook(lambda m, args, out: seen.update(qkv=out))
        assert torch.isfinite(model(torch.randn(2, 3, 16, 16))).all()
    rows = seen['qkv'].abs().amax((0, 1)).view(3, EMBED)  # q, k, v of each inner channel
    assert torch.equal(rows == 0, (gates[inner] == 0).expand(3, EMBED))


class LayerScale(torch.nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.gamma = torch.nn.Parameter(torch.rand(channels) + 0.5)

    def forward(self, x):
        return x * self.gamma


class ScaledMLP(torch.nn.Module):
    """Tokens through an MLP whose hidden channels a layer scale multiplies (channels last)."""

    def __init__(self):
        super().__init__()
        self.patch = torch.nn.Conv2d(3, 16, 4, stride=4)
        self.fc1, self.scale, self.fc2 = torch.nn.Linear(16, 32), LayerScale(32), torch.nn.Linear(32, 16)
        self.head = torch.nn.Linear(16, 10)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = x + self.fc2(self.scale(self.fc1(x)))
        return self.head(x.mean(1))


def test_a_channels_last_layer_scale_is_sliced_with_the_channels_it_scales():
    model = ScaledMLP()
    space = WidthSpace.from_model(model, (3, 8, 8))
    assert space.names == ['residual', 'fc1'] and 'scale:gamma' in space.graph.group('fc1').members
    rows = verify_model_subnets(model, space, [space.smallest()], num_random=1)
    assert all(row['ok'] for row in rows), rows
    static = export_static_model(model, space, subnet_index_sets(space.full(), dict(space.full(), fc1=8), 'right'))
    torch.testing.assert_close(static.scale.gamma, model.scale.gamma[-8:])


def test_swin_window_attention_shares_its_stream_and_its_output_stage_held_as_a_number_is_fixed():
    """Swin: a window attention splits its input width into heads (its inner width is its stage's stream), its
    matmuls run once per window, shifted windows roll the tokens and patch merging unfolds 2x2 patches. The
    backbone reshapes its output stage with the width written as a number (``num_features``), not read from the
    tensor: the recorded trace sees that and fixes that stage's stream, so every subnet of the space runs."""
    init_default_scope('mmpretrain')
    model = MODELS.build(dict(
        type='ImageClassifier', neck=dict(type='GlobalAveragePooling'),
        backbone=dict(type='SwinTransformer', arch=dict(embed_dims=16, depths=[2, 2], num_heads=[2, 4]), img_size=32,
                      patch_size=4, window_size=4, out_indices=(1, )),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=32)))
    space = WidthSpace.from_config(model, dict(input_shape=(3, 32, 32)))
    stream = space.graph.group('backbone.stages.0.blocks.residual')
    assert stream.blocks == 2 and {'backbone.stages.0.blocks.0.attn.w_msa.qkv:out',
                                   'backbone.stages.0.blocks.1.attn.w_msa:heads'} <= set(stream.members)
    output_stage = space.graph.group('backbone.stages.1.blocks.residual')
    assert output_stage.fixed_reason == 'reshaped to a width written as a number (32) in backbone'
    assert len(space.names) == 5 and 'backbone.stages.1.blocks.residual' not in space.names
    rows = verify_model_subnets(model, space, [space.smallest()], num_random=1)
    assert all(row['ok'] for row in rows), rows
    windows, tokens = 4, 16  # 8x8 patches in windows of 4x4
    attn = 'backbone.stages.0.blocks.0.attn.w_msa'
    widths = dict(space.full(), **{'backbone.stages.0.blocks.residual': 8})
    # its matmuls; its relative position bias table (7 x 7 offsets, 2 heads) is a fixed parameter
    assert space.estimator.per_module(widths)[attn] == (2 * windows * tokens * tokens * 8, 7 * 7 * 2)
