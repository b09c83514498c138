# Width search for a detector: BCNet trains mmdet's RetinaNet R-50 FPN (COCO, data/coco) as a width supernet
# whose backbone is searched. The FPN's lateral convs consume the searched stage outputs; the frozen stem and
# first stage (frozen_stages=1) and everything after the backbone keep their widths. BCNet's passes train on the
# detection losses (there is no distillation in BCNet).
#   python tools/train.py projects/retinanet_width_search/bcnet_retinanet_r50_fpn_supernet_1x_coco.py
_base_ = ['mmdet::retinanet/retinanet_r50_fpn_1x_coco.py']
custom_imports = dict(imports=['mmwidth'], allow_failed_imports=False)
model = dict(
    _delete_=True,
    type='mmwidth.BCNet',
    architecture=_base_.model,
    # FLOPs at COCO's usual test size (1333 x 800)
    width_space=dict(input_shape=(3, 800, 1333), scope=['backbone'], bins=20))
model_wrapper_cfg = dict(type='mmwidth.WidthSearchDDP')
custom_hooks = [
    dict(type='mmwidth.ChannelFairnessHook', interval=50),
    # ResNet's norms stay frozen in detection (norm_eval): recalibration leaves them as they are
    dict(type='mmwidth.SubnetNormRecalibrationHook', num_batches=20),
]
