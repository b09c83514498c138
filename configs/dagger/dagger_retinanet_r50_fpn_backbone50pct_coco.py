# Dagger on mmdet's RetinaNet R-50 FPN (COCO): the backbone pruned to 50% of its FLOPs (flops_scope: the FPN and the
# head are not counted; the FPN's lateral convs follow the backbone's kept channels), from mmdet's trained 1x
# RetinaNet: put its checkpoint at the path below (or pass --cfg-options model.architecture.init_cfg.checkpoint=PATH).
# Gating at a constant lr of 0.001 (mmdet's 1x rate after its first decay), at most 2 epochs; the gates freeze once
# the backbone's FLOPs are within 1% of the target for 500 steps. Then export the kept channels and fine-tune them.
_base_ = ['../_base_/models/retinanet_r50_fpn_supernet_coco.py']
model = dict(
    type='mmwidth.Dagger',
    architecture=dict(
        init_cfg=dict(type='Pretrained', checkpoint='checkpoints/retinanet_r50_fpn_1x_coco_20200130-c2398f9e.pth'),
        backbone=dict(init_cfg=None)),
    flops_target=0.5,
    flops_scope='backbone',
    flops_warmup_iters=500,
    patience=500)
optim_wrapper = dict(
    optimizer=dict(lr=0.001),
    paramwise_cfg=dict(custom_keys={'dagger_module': dict(lr_mult=10.0, decay_mult=0.0)}))
param_scheduler = []
train_cfg = dict(max_epochs=2)
custom_hooks = [dict(type='mmwidth.DaggerGatingHook')]
# the Dagger module takes no part in the forward passes after the gates freeze
model_wrapper_cfg = dict(type='mmwidth.WidthSearchDDP', find_unused_parameters=True)
# Dagger starts from a pretrained model: load_from (e.g. a supernet of the architecture, its full network) lacks the
# Dagger module and its phase buffers: a deliberate partial load (shared keys must fit; resuming is checked in full)
load_partial = True
