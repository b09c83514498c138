# BCNetV2 supernet of the Channel-Bench-Macro ResNet space on the embedded digits dataset (16x16), CPU-friendly:
# N = 4 bins with a minimum of m = 1, so the supernet is widened to 5 bins (1.25x) and widths stay in [1, 4].
# Iteration-based: change the length with --cfg-options train_cfg.max_iters=N param_scheduler.1.end=N
# (N > 20, the warm-up's length: a shorter run keeps param_scheduler as it is).
_base_ = ['../_base_/models/cbm-resnet.py', '../_base_/schedules/digits_supernet.py']
model = dict(type='mmwidth.BCNetV2', min_bins=1, width_space=dict(input_shape=(3, 16, 16)))
