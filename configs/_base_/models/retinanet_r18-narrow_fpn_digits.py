# mmdet's RetinaNet at the scale of the embedded digits detection set (64x64 canvases, digits of 14..28 px): a
# ResNet-18 at a quarter of its width (stages of 16, 32, 64, 128 channels), an FPN of 32 channels on strides
# 8..32 and a head of 2 stacked convs whose smallest anchors (16 px) fit the digits. Trained from scratch (no
# pretrained weights for this width), so its batch norms train too.
_base_ = ['mmdet::_base_/models/retinanet_r50_fpn.py']
model = dict(
    data_preprocessor=dict(
        # the canvases' pixel mean and std (gray: the same for the 3 channels, no channel order to change)
        mean=[16.2, 16.2, 16.2], std=[49.3, 49.3, 49.3], bgr_to_rgb=False),
    backbone=dict(depth=18, base_channels=16, frozen_stages=-1, norm_eval=False, init_cfg=None),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=32, start_level=1, add_extra_convs=False, num_outs=3),
    bbox_head=dict(
        num_classes=10,
        in_channels=32,
        feat_channels=32,
        stacked_convs=2,
        anchor_generator=dict(octave_base_scale=2, strides=[8, 16, 32])))
