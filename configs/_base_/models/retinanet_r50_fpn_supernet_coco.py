# mmdet's RetinaNet R-50 FPN 1x as a width supernet whose backbone is searched; derived configs set the algorithm
# `type` and its width grid. Norms: the backbone's batch norms train (SyncBN across GPUs, norm_eval off) instead of
# mmdet's frozen ImageNet statistics, which fit no subnet; every evaluated subnet gets its own statistics first
# (SubnetNormRecalibrationHook, the search's scorer, the export). frozen_stages=1 stays: the frozen stem and first
# stage keep their widths. ImageNet weights as in mmdet (`init_cfg`); point
# model.architecture.backbone.init_cfg.checkpoint at a local file to load them from disk.
_base_ = ['mmdet::retinanet/retinanet_r50_fpn_1x_coco.py', './detector_supernet_coco.py']
model = dict(
    _delete_=True,
    architecture=dict(
        _base_.model,
        backbone=dict(_base_.model.backbone, norm_cfg=dict(type='SyncBN', requires_grad=True), norm_eval=False)),
    # FLOPs (and the budget) at COCO's test size; the backbone is searched, the FPN's lateral convs follow it
    width_space=dict(input_shape=(3, 800, 1333), scope=['backbone']))
# the supernet trains on train2017 less the held-out images that the search scores on
train_dataloader = dict(
    dataset=dict(_delete_=True, type='mmwidth.HeldOutSplit', part='train', holdout=_base_.coco_holdout,
                 dataset=_base_.train_dataloader.dataset))
search_dataloader = dict(
    _base_.val_dataloader,
    dataset=dict(type='mmwidth.HeldOutSplit', part='holdout', holdout=_base_.coco_holdout,
                 dataset=dict(_base_.train_dataloader.dataset, pipeline=_base_.search_pipeline)))
