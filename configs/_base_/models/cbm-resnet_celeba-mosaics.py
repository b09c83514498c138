# The Channel-Bench-Macro ResNet supernet (cbm-resnet.py) with a multi-label head for the 40 attributes of the
# embedded digit mosaics (16x16), trained with the binary cross-entropy of their sigmoids.
_base_ = ['./cbm-resnet.py']
model = dict(
    architecture=dict(
        head=dict(
            _delete_=True,
            type='mmpretrain.MultiLabelLinearClsHead',
            num_classes=40,
            in_channels=512,
            loss=dict(type='mmpretrain.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0))),
    width_space=dict(input_shape=(3, 16, 16)))
