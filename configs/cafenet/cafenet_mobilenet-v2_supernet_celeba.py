# CafeNet supernet of MobileNetV2 1.0x on CelebA's 40 attributes (4 GPUs x 64 faces at 224x224): 20 bins per group,
# locally free channels with zone offset 1, the better of 2 placements trained (min-min) on the binary cross-entropy.
_base_ = [
    '../_base_/models/mobilenet-v2_supernet_celeba.py', '../_base_/datasets/celeba_bs64.py',
    '../_base_/schedules/celeba_bs256_20e.py'
]
model = dict(type='mmwidth.CafeNet', zone_offset=1, num_placements=2, width_space=dict(bins=20))
