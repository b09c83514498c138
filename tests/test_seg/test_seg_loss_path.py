"""mmseg models (skipped without mmsegmentation, the optional ``[seg]`` extra): their auxiliary heads, which only the
loss path runs, are traced so that their inputs follow the searched widths; a BCNet supernet of FCN R-50 trains a
step and its exported subnet trains too (loss mode, auxiliary loss included)."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from mmwidth.apis.analysis import verify_model_subnets
from mmwidth.export.static_model import export_static_model
from mmwidth.sharing.index_sets import subnet_index_sets
from mmwidth.space.width_space import WidthSpace
from mmwidth.utils.config import build_model
from mmwidth.utils.errors import ConfigError

from conftest import package_config

pytest.importorskip('mmseg', reason='mmsegmentation is not installed (pip install -e .[seg])')
from mmseg.structures import SegDataSample  # noqa: E402
from mmengine.structures import PixelData  # noqa: E402

FCN = 'fcn/fcn_r50-d8_4xb2-40k_cityscapes-512x1024.py'
SIZE = 64


def fcn_model_cfg() -> Config:
    """FCN R-50 (auxiliary head on) with plain BN (the config's SyncBN needs a process group), no pretrained
    weights, at a small crop."""
    cfg = Config.fromfile(package_config('mmseg', FCN))
    for part in ('backbone', 'decode_head', 'auxiliary_head'):
        cfg.model[part].norm_cfg = dict(type='BN', requires_grad=True)
    cfg.model.pretrained = None
    cfg.model.data_preprocessor.size = (SIZE, SIZE)
    return cfg


def seg_batch(num: int = 2) -> dict:
    generator = torch.Generator().manual_seed(0)
    samples = []
    for _ in range(num):
        sample = SegDataSample(metainfo=dict(img_shape=(SIZE, SIZE), ori_shape=(SIZE, SIZE), pad_shape=(SIZE, SIZE)))
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 19, (1, SIZE, SIZE), generator=generator))
        samples.append(sample)
    inputs = [torch.randint(0, 256, (3, SIZE, SIZE), generator=generator, dtype=torch.uint8) for _ in range(num)]
    return dict(inputs=inputs, data_samples=samples)


@pytest.fixture(scope='module')
def fcn():
    return build_model(fcn_model_cfg())


def test_auxiliary_head_follows_the_backbone_widths(fcn):
    space = WidthSpace.from_config(fcn, dict(input_shape=(3, SIZE, SIZE), ratios=[0.5, 1.0]))
    graph = space.graph
    assert graph.entries == ('forward', 'auxiliary_head(extract_feat)')
    aux_conv = next(layer for layer in graph.layers if layer.name == 'auxiliary_head.convs.0.conv')
    stage3 = graph.groups[aux_conv.inputs[0].group]
    assert stage3.searchable and stage3.name == 'backbone.layer3.residual'
    assert aux_conv.macs_coef == 0  # the tensor-mode forward, which FLOPs count, does not run it
    rows = verify_model_subnets(fcn, space, num_random=1, patterns=('right', ))
    assert all(row['ok'] for row in rows), rows
    assert 'entries' in space.to_dict() and space.to_dict()['entries'][1] == 'auxiliary_head(extract_feat)'


def test_fcn_supernet_trains_and_its_export_trains_with_auxiliary_loss():
    torch.manual_seed(0)
    cfg = fcn_model_cfg()
    model = build_model(Config(dict(default_scope='mmseg', model=dict(
        type='mmwidth.BCNet', architecture=cfg.model,
        width_space=dict(input_shape=(3, SIZE, SIZE), ratios=[0.25, 0.5, 1.0]))))).train()
    optim_wrapper = build_optim_wrapper(model, dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)))
    before = model.architecture.auxiliary_head.convs[0].conv.weight.detach().clone()
    log = model.train_step(copy.deepcopy(seg_batch()), optim_wrapper)
    assert all(torch.isfinite(value).all() for value in log.values())
    assert not torch.equal(before, model.architecture.auxiliary_head.convs[0].conv.weight)

    space = model.space
    smallest = space.smallest()
    static = export_static_model(model.architecture, space, subnet_index_sets(space.full(), smallest, 'left'))
    assert static.auxiliary_head.convs[0].conv.in_channels == smallest['backbone.layer3.residual'] < 1024
    static.train()
    data = static.data_preprocessor(copy.deepcopy(seg_batch()), True)
    losses = static(**data, mode='loss')
    assert {'decode.loss_ce', 'aux.loss_ce'} <= set(losses)
    assert all(torch.isfinite(value).all() for key, value in losses.items() if 'loss' in key)


def test_ocrnet_counts_its_object_context_convs_on_the_gathered_features():
    """OCRNet HRNet-18: after the gathering matmul the class axis is dim 2, the convs' inputs are the 512
    gathered channels; analytic == counted, and the FLOPs say which matmuls they leave out."""
    cfg = Config.fromfile(package_config('mmseg', 'ocrnet/ocrnet_hr18_4xb2-40k_cityscapes-512x1024.py'))
    cfg.model.pretrained = None
    cfg.model.data_preprocessor.size = None
    model = build_model(cfg)
    space = WidthSpace.from_config(model, dict(input_shape=(3, SIZE, SIZE), ratios=[0.5, 1.0]))
    key = next(layer for layer in space.graph.layers
               if layer.name == 'decode_head.1.object_context_block.key_project.0.conv')
    assert space.graph.in_channels(key, [g.channels for g in space.graph.groups]) == 512
    assert space.graph.uncounted == ('matmul in decode_head.1.spatial_gather_module',
                                     'matmul in decode_head.1.object_context_block')
    rows = verify_model_subnets(model, space, num_random=1, patterns=('random', ))
    assert all(row['ok'] for row in rows), rows


def test_segformer_searches_its_attention_streams_and_mlps():
    """SegFormer MiT-B0: each stage's embedding width (through its efficient attention, in blocks of its heads)
    and every Mix-FFN's hidden width are searched; subnets verify with the attention's FLOPs counted."""
    cfg = Config.fromfile(package_config('mmseg', 'segformer/segformer_mit-b0_8xb1-160k_cityscapes-1024x1024.py'))
    cfg.model.data_preprocessor.size = None
    model = build_model(cfg)
    space = WidthSpace.from_config(model, dict(input_shape=(3, SIZE, SIZE)))
    streams = {name: space.blocks[name] for name in space.names if name.endswith('.residual')}
    assert streams == {'backbone.layers.0.1.residual': 1, 'backbone.layers.1.1.residual': 2,
                       'backbone.layers.2.1.residual': 5, 'backbone.layers.3.1.residual': 8}
    assert len(space.names) == 12 and space.graph.uncounted == ()
    rows = verify_model_subnets(model, space, [space.smallest()], num_random=1, patterns=('random', ))
    assert all(row['ok'] for row in rows), rows


def test_a_config_without_the_codebases_default_scope_is_told_to_name_it():
    cfg = fcn_model_cfg()
    with pytest.raises(ConfigError, match='EncoderDecoder is not in the mmwidth::model registry.*default_scope'):
        build_model(Config(dict(model=cfg.model)))
