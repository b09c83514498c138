# BCNet supernet of the Channel-Bench-Macro ResNet space on the embedded digits dataset (16x16), CPU-friendly.
# Iteration-based: change the length with --cfg-options train_cfg.max_iters=N (keep the cosine schedule's
# `end` in step with param_scheduler.1.end=N; N > 20, the warm-up's length: a shorter run keeps param_scheduler).
_base_ = ['../_base_/models/cbm-resnet.py', '../_base_/schedules/digits_supernet.py']
model = dict(type='mmwidth.BCNet', width_space=dict(input_shape=(3, 16, 16)))
