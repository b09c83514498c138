# CafeNet supernet of ResNet-50 on ImageNet: FLOPs-sensitive bins of 16 to 256 channels (the authors' ResNet-50
# setting), locally free channels with zone offset 1, the better of 2 placements trained (min-min).
_base_ = [
    '../_base_/models/resnet50_supernet.py', '../_base_/datasets/imagenet_bs64.py',
    '../_base_/schedules/imagenet_bs512_bcnetv2_300e.py'
]
model = dict(
    type='mmwidth.CafeNet',
    zone_offset=1,
    num_placements=2,
    width_space=dict(flops_bins=dict(min_bin=16, max_bin=256)))
