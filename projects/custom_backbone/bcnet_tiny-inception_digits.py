# Width search on a user's own backbone (projects/custom_backbone/tiny_inception.py): BCNet on the embedded
# digits dataset, with the digits supernet recipe. Run from the repository root with the project importable:
#   PYTHONPATH=. python tools/train.py projects/custom_backbone/bcnet_tiny-inception_digits.py
#   PYTHONPATH=. python tools/analysis/width_space.py projects/custom_backbone/bcnet_tiny-inception_digits.py
_base_ = ['../../configs/_base_/schedules/digits_supernet.py']
custom_imports = dict(imports=['mmwidth', 'projects.custom_backbone.tiny_inception'], allow_failed_imports=False)
model = dict(
    type='mmwidth.BCNet',
    architecture=dict(
        type='mmpretrain.ImageClassifier',
        backbone=dict(type='TinyInception', channels=64, branch=48),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(type='mmpretrain.LinearClsHead', num_classes=10, in_channels=128,
                  loss=dict(type='mmpretrain.CrossEntropyLoss'))),
    width_space=dict(input_shape=(3, 16, 16), bins=8))
