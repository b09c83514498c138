"""The input size tools trace at: read from the config, never assumed when the config says it."""
import pytest
from mmengine.config import Config

from mmwidth.utils.config import infer_input_shape

# mmpose's top-down configs: one codec, sizes (w, h), given to the head and to the affine crop of the pipelines
CODEC = dict(type='MSRAHeatmap', input_size=(192, 256), heatmap_size=(48, 64), sigma=2)
POSE_MODEL = dict(type='TopdownPoseEstimator', backbone=dict(type='ResNet', depth=50),
                  head=dict(type='HeatmapHead', in_channels=2048, out_channels=17, decoder=CODEC))
POSE_PIPELINE = [dict(type='LoadImage'), dict(type='GetBBoxCenterScale'),
                 dict(type='TopdownAffine', input_size=CODEC['input_size']), dict(type='PackPoseInputs')]


@pytest.mark.parametrize('cfg', [
    dict(model=POSE_MODEL),  # the model's codec alone
    dict(model=dict(POSE_MODEL, head=dict(POSE_MODEL['head'], decoder=None)),  # the pipeline's affine crop alone
         test_dataloader=dict(dataset=dict(type='CocoDataset', pipeline=POSE_PIPELINE))),
], ids=['codec', 'topdown-affine'])
def test_pose_input_size_is_the_codec_size(cfg):
    assert infer_input_shape(Config(cfg)) == (3, 256, 192)


def test_width_space_input_shape_comes_first():
    cfg = Config(dict(model=POSE_MODEL, width_space=dict(input_shape=(3, 128, 96))))
    assert infer_input_shape(cfg) == (3, 128, 96)
