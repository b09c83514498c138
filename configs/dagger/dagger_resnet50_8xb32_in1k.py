# Dagger on ImageNet ResNet-50 at 50% of the FLOPs (the paper's headline point: 76.1% top-1 after fine-tuning),
# from a pretrained ResNet-50: put mmpretrain's checkpoint at the path below (or pass
# --cfg-options model.architecture.init_cfg.checkpoint=PATH); an mmwidth supernet checkpoint of the same
# architecture (e.g. a BCNet supernet, whose largest subnet is the full network) goes to `load_from` instead.
# Gating: at most 10 epochs (about 10% of a standard schedule), network lr 0.01, until the hard gates' FLOPs
# are within 1% of the target for 500 steps; then fine-tune the exported subnet (README).
_base_ = [
    '../_base_/models/resnet50_supernet.py', '../_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/supernet_epoch_based.py'
]
model = dict(
    type='mmwidth.Dagger',
    architecture=dict(init_cfg=dict(type='Pretrained', checkpoint='checkpoints/resnet50_8xb32_in1k.pth')),
    flops_target=0.5,
    flops_weight=5.0,
    flops_warmup_iters=1000,
    min_ratio=0.1,
    patience=500)
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4, nesterov=True),
    paramwise_cfg=dict(custom_keys={'dagger_module': dict(lr_mult=10.0, decay_mult=0.0)}))
param_scheduler = []
train_cfg = dict(max_epochs=10)
auto_scale_lr = dict(base_batch_size=256)
custom_hooks = [dict(type='mmwidth.DaggerGatingHook')]
model_wrapper_cfg = dict(type='mmwidth.WidthSearchDDP', find_unused_parameters=True)
