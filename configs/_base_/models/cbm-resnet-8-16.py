# The Channel-Bench-Macro ResNet macro structure at 8/16 channels (1/32 of the benchmark's 256/512; digit d
# keeps d/4 of each maximum: 2..8 and 4..16 channels) as a 100-class mmpretrain classifier of 16x32 digit
# pairs, and its width space: the 7 groups with 4 widths each. Derived configs set the algorithm `type`.
model = dict(
    architecture=dict(
        type='mmpretrain.ImageClassifier',
        backbone=dict(type='mmwidth.CBMResNet', arch='4444444', max_channels=[8, 8, 8, 16, 16, 16, 16]),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(
            type='mmpretrain.LinearClsHead',
            num_classes=100,
            in_channels=16,
            loss=dict(type='mmpretrain.CrossEntropyLoss', loss_weight=1.0))),
    width_space=dict(input_shape=(3, 16, 32), bins=4),
)
