# BCNetV2 supernet of the Channel-Bench-Macro MobileNet space on CIFAR-10 with the benchmark's recipe: N = 4 bins
# with a minimum of m = 1 (BCNetV2's CBM setting), so the supernet is widened to 5 bins (1.25x) and widths stay the
# benchmark's 1 .. 4 quarters.
_base_ = [
    '../_base_/models/cbm-mobilenet.py', '../_base_/datasets/cifar10_bs256.py',
    '../_base_/schedules/cifar10_bs256_60e.py'
]
model = dict(type='mmwidth.BCNetV2', min_bins=1)
