# Dagger on ImageNet MobileNetV2 1.0x at 50% of the FLOPs (about 150M), from a pretrained MobileNetV2: put
# mmpretrain's checkpoint at the path below (or pass --cfg-options model.architecture.init_cfg.checkpoint=PATH).
# Then fine-tune the exported subnet (README).
_base_ = [
    '../_base_/models/mobilenet-v2_supernet.py', '../_base_/datasets/imagenet_bs64.py',
    '../_base_/schedules/dagger_gating_epoch_based.py'
]
model = dict(
    type='mmwidth.Dagger',
    architecture=dict(init_cfg=dict(type='Pretrained', checkpoint='checkpoints/mobilenet_v2_batch256_imagenet.pth')),
    flops_target=0.5,
    flops_warmup_iters=1000,
    patience=500)
optim_wrapper = dict(optimizer=dict(weight_decay=4e-5))
auto_scale_lr = dict(base_batch_size=512)
# Dagger starts from a pretrained model: load_from (e.g. a supernet of the architecture, its full network) lacks the
# Dagger module and its phase buffers: a deliberate partial load (shared keys must fit; resuming is checked in full)
load_partial = True
