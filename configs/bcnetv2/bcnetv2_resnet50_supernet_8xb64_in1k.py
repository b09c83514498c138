# BCNetV2 supernet of ResNet-50 on ImageNet: N = 20 bins with a minimum of m = 2, so every group is widened to
# 22 bins (1.1x) and widths are searched in [2, 20] bins; BCNetV2's recipe.
_base_ = [
    '../_base_/models/resnet50_supernet.py', '../_base_/datasets/imagenet_bs64.py',
    '../_base_/schedules/imagenet_bs512_bcnetv2_300e.py'
]
model = dict(type='mmwidth.BCNetV2', min_bins=2, width_space=dict(bins=20))
