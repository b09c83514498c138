# BCNetV2 supernet of ResNet-50 on CelebA's 40 attributes (4 GPUs x 64 faces at 224x224): N = 20 bins with a minimum of
# m = 2 (every group widened to 22 bins, 1.1x), trained on the multi-label head's binary cross-entropy.
_base_ = [
    '../_base_/models/resnet50_supernet_celeba.py', '../_base_/datasets/celeba_bs64.py',
    '../_base_/schedules/celeba_bs256_20e.py'
]
model = dict(type='mmwidth.BCNetV2', min_bins=2, width_space=dict(bins=20))
