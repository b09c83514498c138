# BCNet supernet of MobileNetV2 1.0x (BCNet searched inside the original network) on ImageNet: every group in 20
# bins (the code's 20 width ratios 0.05 .. 1.0; the 16-channel group has 16 distinct widths), a random width and
# its complement in turn, left and right paths.
_base_ = [
    '../_base_/models/mobilenet-v2_supernet.py', '../_base_/datasets/imagenet_bs64.py',
    '../_base_/schedules/imagenet_bs512_bcnet_300e.py'
]
model = dict(type='mmwidth.BCNet', width_space=dict(bins=20))
