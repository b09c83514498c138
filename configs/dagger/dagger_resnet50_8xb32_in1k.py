# Dagger on ImageNet ResNet-50 at 50% of the FLOPs (the paper's headline point: 76.1% top-1 after fine-tuning),
# from a pretrained ResNet-50: put mmpretrain's checkpoint at the path below (or pass
# --cfg-options model.architecture.init_cfg.checkpoint=PATH); an mmwidth supernet checkpoint of the same
# architecture (e.g. a BCNet supernet, whose largest subnet is the full network) goes to `load_from` instead.
# Then fine-tune the exported subnet (README).
_base_ = [
    '../_base_/models/resnet50_supernet.py', '../_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/dagger_gating_epoch_based.py'
]
model = dict(
    type='mmwidth.Dagger',
    architecture=dict(init_cfg=dict(type='Pretrained', checkpoint='checkpoints/resnet50_8xb32_in1k.pth')),
    flops_target=0.5,
    flops_warmup_iters=1000,
    patience=500)
optim_wrapper = dict(optimizer=dict(weight_decay=1e-4))
auto_scale_lr = dict(base_batch_size=256)
# Dagger starts from a pretrained model: load_from (e.g. a supernet of the architecture, its full network) lacks the
# Dagger module and its phase buffers: a deliberate partial load (shared keys must fit; resuming is checked in full)
load_partial = True
