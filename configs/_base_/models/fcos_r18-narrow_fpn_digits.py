# mmdet's FCOS at the scale of the embedded digits detection set (64x64 canvases, digits of 14..28 px): the
# narrow ResNet-18 of retinanet_r18-narrow_fpn_digits.py (stages of 16, 32, 64, 128 channels), an FPN of 32
# channels on strides 8..32 and a head of 2 stacked convs, each level regressing the digits of its own size.
_base_ = ['./retinanet_r18-narrow_fpn_digits.py']
model = dict(
    type='FCOS',
    bbox_head=dict(
        _delete_=True,
        type='FCOSHead',
        num_classes=10,
        in_channels=32,
        feat_channels=32,
        stacked_convs=2,
        strides=[8, 16, 32],
        regress_ranges=((-1, 16), (16, 32), (32, 1e8)),
        norm_cfg=dict(type='GN', num_groups=8, requires_grad=True),
        loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0),
        loss_bbox=dict(type='IoULoss', loss_weight=1.0),
        loss_centerness=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)),
    train_cfg=dict(_delete_=True, assigner=None, allowed_border=-1, pos_weight=-1, debug=False))
