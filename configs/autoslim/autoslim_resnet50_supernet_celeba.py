# AutoSlim supernet of ResNet-50 on CelebA's 40 attributes (4 GPUs x 64 faces at 224x224): the sandwich rule (largest,
# smallest and 2 random subnets) on MMRazor's widths, 2/12 .. 12/12 of each group rounded to multiples of 8; the largest
# learns from the labels, the others from its per-attribute sigmoid probabilities (binary KL).
_base_ = [
    '../_base_/models/resnet50_supernet_celeba.py', '../_base_/datasets/celeba_bs64.py',
    '../_base_/schedules/celeba_bs256_20e.py'
]
model = dict(
    type='mmwidth.AutoSlim',
    num_random_samples=2,
    width_space=dict(ratios=[i / 12 for i in range(2, 13)], divisor=8))
