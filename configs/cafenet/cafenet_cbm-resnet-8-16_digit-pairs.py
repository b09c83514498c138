# CafeNet supernet (locally free channels, zone offset 1, min-min over 2 placements) of the Channel-Bench-Macro
# ResNet space at 8/16 channels on the embedded digit pairs. 8 bins per group (1 channel of an 8-channel layer,
# 2 of a 16-channel one), which keep the benchmark's 4 widths among the choices. 1 backward pass a step
# (plus the placements' scoring forwards without gradients), 12800 steps = 12800 passes.
_base_ = ['../_base_/models/cbm-resnet-8-16.py', '../_base_/schedules/digit_pairs_supernet.py']
model = dict(type='mmwidth.CafeNet', zone_offset=1, num_placements=2, width_space=dict(bins=8))
train_cfg = dict(max_iters=12800, val_interval=12800)
# (MMEngine replaces a list of the base as a whole)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.05, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=20, end=12800, eta_min=0),
]
default_hooks = dict(checkpoint=dict(interval=3200))
