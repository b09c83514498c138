# MobileNetV2 1.0x (mmpretrain) as the supernet of an ImageNet width search: 25 searchable groups at 224x224
# (stem, stage-1 output, 16 expansion widths, 6 tied stage outputs, last conv). Derived configs set the algorithm
# `type`, its options and the width grid.
model = dict(
    architecture=dict(
        type='mmpretrain.ImageClassifier',
        backbone=dict(type='mmpretrain.MobileNetV2', widen_factor=1.0),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(
            type='mmpretrain.LinearClsHead',
            num_classes=1000,
            in_channels=1280,
            # label smoothing 0.1: BCNet's code puts 0.9 on the target, BCNetV2's runs use --smoothing 0.1
            loss=dict(type='mmpretrain.LabelSmoothLoss', label_smooth_val=0.1, mode='original', loss_weight=1.0),
            topk=(1, 5))),
    width_space=dict(input_shape=(3, 224, 224)),
)
