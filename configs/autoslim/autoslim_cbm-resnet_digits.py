# AutoSlim supernet (sandwich rule: largest, smallest and 2 random subnets, in-place distillation) of the
# Channel-Bench-Macro ResNet space on the embedded digits dataset (16x16), CPU-friendly.
# Iteration-based: change the length with --cfg-options train_cfg.max_iters=N param_scheduler.1.end=N
# (N > 20, the warm-up's length: a shorter run keeps param_scheduler as it is).
_base_ = ['../_base_/models/cbm-resnet.py', '../_base_/schedules/digits_supernet.py']
model = dict(type='mmwidth.AutoSlim', num_random_samples=2, width_space=dict(input_shape=(3, 16, 16)))
