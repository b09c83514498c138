# AutoSlim supernet of ResNet-50 on ImageNet: the sandwich rule (largest, smallest and 2 random subnets, the
# last three distilled from the largest) on MMRazor's widths, 2/12 .. 12/12 of each group rounded to multiples of 8.
_base_ = [
    '../_base_/models/resnet50_supernet.py', '../_base_/datasets/imagenet_bs64.py',
    '../_base_/schedules/imagenet_bs512_autoslim_50e.py'
]
model = dict(
    type='mmwidth.AutoSlim',
    num_random_samples=2,
    width_space=dict(ratios=[i / 12 for i in range(2, 13)], divisor=8))
