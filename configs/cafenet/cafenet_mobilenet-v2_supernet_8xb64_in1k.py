# CafeNet supernet of MobileNetV2 1.0x on ImageNet: 20 bins per group (the BCNet grid; FLOPs-sensitive bins of at
# least 16 channels would leave the 16-channel group a single width), locally free channels with zone offset 1,
# the better of 2 placements trained (min-min).
_base_ = [
    '../_base_/models/mobilenet-v2_supernet.py', '../_base_/datasets/imagenet_bs64.py',
    '../_base_/schedules/imagenet_bs512_bcnetv2_300e.py'
]
model = dict(type='mmwidth.CafeNet', zone_offset=1, num_placements=2, width_space=dict(bins=20))
