# Width search through a layer type mmwidth does not ship: mmdet's ResNet-50 (a quarter wide) with modulated
# deformable convs (mmcv's DCNv2) in its last two stages, classifying the embedded digits dataset, searched by
# BCNet. projects/deformable_conv/modulated_deform_conv.py registers the layer family; nothing else changes.
#   PYTHONPATH=. python tools/train.py projects/deformable_conv/bcnet_resnet50-dcnv2_digits.py
#   PYTHONPATH=. python tools/analysis/verify_subnet.py projects/deformable_conv/bcnet_resnet50-dcnv2_digits.py \
#       --random 2
_base_ = ['../../configs/_base_/schedules/digits_supernet.py']
custom_imports = dict(imports=['mmwidth', 'mmdet.models', 'projects.deformable_conv.modulated_deform_conv'],
                      allow_failed_imports=False)
model = dict(
    type='mmwidth.BCNet',
    architecture=dict(
        type='mmpretrain.ImageClassifier',
        backbone=dict(type='mmdet.ResNet', depth=50, base_channels=16, num_stages=4, out_indices=(3, ),
                      norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False, style='pytorch',
                      dcn=dict(type='DCNv2', deform_groups=1, fallback_on_stride=False),
                      stage_with_dcn=(False, False, True, True)),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(type='mmpretrain.LinearClsHead', num_classes=10, in_channels=512,
                  loss=dict(type='mmpretrain.CrossEntropyLoss'))),
    width_space=dict(input_shape=(3, 16, 16), bins=8))
