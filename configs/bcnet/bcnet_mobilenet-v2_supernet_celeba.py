# BCNet supernet of MobileNetV2 1.0x on CelebA's 40 attributes (4 GPUs x 64 faces at 224x224): every group in 20 bins, a
# random width and its complement in turn, left and right paths, each on the multi-label head's binary cross-entropy.
_base_ = [
    '../_base_/models/mobilenet-v2_supernet_celeba.py', '../_base_/datasets/celeba_bs64.py',
    '../_base_/schedules/celeba_bs256_20e.py'
]
model = dict(type='mmwidth.BCNet', width_space=dict(bins=20))
