# BCNetV2 supernet of MobileNetV2 1.0x on CelebA's 40 attributes (4 GPUs x 64 faces at 224x224): N = 16 bins with a
# minimum of m = 2 (every group widened to 18 bins, 1.125x; 20 bins do not fit the 16-channel group), trained on the
# multi-label head's binary cross-entropy.
_base_ = [
    '../_base_/models/mobilenet-v2_supernet_celeba.py', '../_base_/datasets/celeba_bs64.py',
    '../_base_/schedules/celeba_bs256_20e.py'
]
model = dict(type='mmwidth.BCNetV2', min_bins=2, width_space=dict(bins=16))
