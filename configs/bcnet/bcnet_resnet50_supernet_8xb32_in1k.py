# BCNet supernet of ResNet-50 (1.0x, as BCNet searched inside the original network) on ImageNet: every group in
# 20 bins (the code's 20 width ratios 0.05 .. 1.0), a random width and its complement in turn, left and right paths.
_base_ = [
    '../_base_/models/resnet50_supernet.py', '../_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/imagenet_bs256_bcnet_30e.py'
]
model = dict(type='mmwidth.BCNet', width_space=dict(bins=20))
