# The Channel-Bench-Macro MobileNet space (mmwidth.CBMMobileNet, all-4 supernet) as an mmpretrain classifier, and
# its width space: the 7 groups with the benchmark's 4 widths each (1/4 .. 4/4 of the maximum). Derived configs
# set the algorithm `type` (and its options).
model = dict(
    architecture=dict(
        type='mmpretrain.ImageClassifier',
        backbone=dict(type='mmwidth.CBMMobileNet', arch='4444444'),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(
            type='mmpretrain.LinearClsHead',
            num_classes=10,
            in_channels=1024,
            loss=dict(type='mmpretrain.CrossEntropyLoss', loss_weight=1.0))),
    width_space=dict(input_shape=(3, 32, 32), bins=4),
)
