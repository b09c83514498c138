# CafeNet supernet of ResNet-50 on CelebA's 40 attributes (4 GPUs x 64 faces at 224x224): FLOPs-sensitive bins of 16 to
# 256 channels, locally free channels with zone offset 1, the better of 2 placements trained (min-min) on the binary
# cross-entropy.
_base_ = [
    '../_base_/models/resnet50_supernet_celeba.py', '../_base_/datasets/celeba_bs64.py',
    '../_base_/schedules/celeba_bs256_20e.py'
]
model = dict(
    type='mmwidth.CafeNet',
    zone_offset=1,
    num_placements=2,
    width_space=dict(flops_bins=dict(min_bin=16, max_bin=256)))
