# Dagger on the Channel-Bench-Macro ResNet space (the all-4 architecture) and CIFAR-10 at 50% of the FLOPs:
# 30 epochs of plain training with the benchmark's recipe stand for the pretrained model (set pretrain_iters=0
# with load_from=<a trained mmwidth checkpoint of this architecture> to start from one), then gating at the
# final learning rate until the hard gates' FLOPs are within 1% of the target for 100 steps.
_base_ = [
    '../_base_/models/cbm-resnet.py', '../_base_/datasets/cifar10_bs256.py', '../_base_/schedules/cifar10_bs256_60e.py'
]
model = dict(
    type='mmwidth.Dagger',
    flops_target=0.5,
    pretrain_iters=30 * 176,  # 30 epochs of 176 batches (45k images: 5k are held out)
    flops_weight=5.0,
    flops_warmup_iters=176,
    min_ratio=0.1,
    patience=100)
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'dagger_module': dict(lr_mult=10.0, decay_mult=0.0)}))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=30, eta_min=5e-3)]
# an upper bound: the run ends in the epoch where the gates freeze
train_cfg = dict(max_epochs=45)
custom_hooks = [dict(type='mmwidth.DaggerGatingHook')]
model_wrapper_cfg = dict(type='mmwidth.WidthSearchDDP', find_unused_parameters=True)
# Dagger starts from a pretrained model: load_from (e.g. a supernet of the architecture, its full network) lacks the
# Dagger module and its phase buffers: a deliberate partial load (shared keys must fit; resuming is checked in full)
load_partial = True
