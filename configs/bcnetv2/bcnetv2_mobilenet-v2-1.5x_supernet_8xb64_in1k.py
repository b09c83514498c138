# BCNetV2 supernet of MobileNetV2 1.5x (its supernet for the 305M-FLOPs search) on ImageNet: N = 20 bins with a
# minimum of m = 2, so every group is widened to 22 bins (1.1x) and widths are searched in [2, 20] bins.
# The 1.0x network does not fit N = 20 here: its 16-channel group has fewer channels than bins, and mmwidth's bins
# are whole channels.
_base_ = [
    '../_base_/models/mobilenet-v2-1.5x_supernet.py', '../_base_/datasets/imagenet_bs64.py',
    '../_base_/schedules/imagenet_bs512_bcnetv2_300e.py'
]
model = dict(type='mmwidth.BCNetV2', min_bins=2, width_space=dict(bins=20))
