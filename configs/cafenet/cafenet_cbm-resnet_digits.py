# CafeNet supernet (locally free channels, zone offset 1, min-min over 2 placements) of the Channel-Bench-Macro
# ResNet space on the embedded digits dataset (16x16), CPU-friendly.
# 16 bins per group rather than the benchmark's 4 (which stay among the choices): a free bin is then 1/16 of a
# layer, as fine as the paper's bins (~1/20). With 4 bins a free bin is a quarter of a layer and training is
# unstable: the loss climbs above chance at the peak learning rate, and the largest subnet reaches 63.8% val
# top-1 after 200 iterations (90.2% with one random placement, 93.0% with 16 bins; configs/cafenet/README.md).
# Iteration-based: change the length with --cfg-options train_cfg.max_iters=N param_scheduler.1.end=N
# (N > 20, the warm-up's length: a shorter run keeps param_scheduler as it is).
_base_ = ['../_base_/models/cbm-resnet.py', '../_base_/schedules/digits_supernet.py']
model = dict(type='mmwidth.CafeNet', zone_offset=1, num_placements=2,
             width_space=dict(input_shape=(3, 16, 16), bins=16))
