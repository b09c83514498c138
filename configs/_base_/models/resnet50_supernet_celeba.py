# The ResNet-50 supernet (resnet50_supernet.py) with a multi-label head for CelebA's 40 attributes: one logit per
# attribute, trained with the binary cross-entropy of their sigmoids.
_base_ = ['./resnet50_supernet.py']
model = dict(
    architecture=dict(
        head=dict(
            _delete_=True,
            type='mmpretrain.MultiLabelLinearClsHead',
            num_classes=40,
            in_channels=2048,
            loss=dict(type='mmpretrain.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0))))
