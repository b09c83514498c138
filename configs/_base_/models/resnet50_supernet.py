# ResNet-50 (mmpretrain) as the supernet of an ImageNet width search: 37 searchable groups at 224x224 (the
# residual widths of each stage are tied into one group). Derived configs set the algorithm `type`, its options
# and the width grid (`bins`, `ratios` or `flops_bins`), which differs between the algorithms.
model = dict(
    architecture=dict(
        type='mmpretrain.ImageClassifier',
        backbone=dict(type='mmpretrain.ResNet', depth=50, num_stages=4, out_indices=(3, ), style='pytorch'),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(
            type='mmpretrain.LinearClsHead',
            num_classes=1000,
            in_channels=2048,
            # label smoothing 0.1: BCNet's code puts 0.9 on the target, BCNetV2's runs use --smoothing 0.1
            loss=dict(type='mmpretrain.LabelSmoothLoss', label_smooth_val=0.1, mode='original', loss_weight=1.0),
            topk=(1, 5))),
    width_space=dict(input_shape=(3, 224, 224)),
)
