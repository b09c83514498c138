# The Channel-Bench-Macro ResNet space (mmwidth.CBMResNet, all-4 supernet) as an mmpretrain classifier, and its
# width space: the 7 groups with the benchmark's 4 widths each (1/4 .. 4/4 of the maximum). Derived configs
# set the algorithm `type` (and its options).
model = dict(
    architecture=dict(
        type='mmpretrain.ImageClassifier',
        backbone=dict(type='mmwidth.CBMResNet', arch='4444444'),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(
            type='mmpretrain.LinearClsHead',
            num_classes=10,
            in_channels=512,
            loss=dict(type='mmpretrain.CrossEntropyLoss', loss_weight=1.0))),
    width_space=dict(input_shape=(3, 32, 32), bins=4),
)
