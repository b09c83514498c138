# AutoSlim supernet (sandwich rule: largest, smallest and 2 random subnets, in-place distillation) of the
# Channel-Bench-Macro ResNet space at 8/16 channels on the embedded digit pairs. 4 passes a step, 3200 steps =
# 12800 passes.
_base_ = ['../_base_/models/cbm-resnet-8-16.py', '../_base_/schedules/digit_pairs_supernet.py']
model = dict(type='mmwidth.AutoSlim', num_random_samples=2)
train_cfg = dict(max_iters=3200, val_interval=3200)
# (MMEngine replaces a list of the base as a whole)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.05, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=20, end=3200, eta_min=0),
]
default_hooks = dict(checkpoint=dict(interval=800))
