# AutoSlim supernet (sandwich rule: largest, smallest and 2 random subnets, in-place distillation) of the
# Channel-Bench-Macro ResNet space on CIFAR-10 with the benchmark's recipe and its 4 widths per group.
_base_ = [
    '../_base_/models/cbm-resnet.py', '../_base_/datasets/cifar10_bs256.py', '../_base_/schedules/cifar10_bs256_60e.py'
]
model = dict(type='mmwidth.AutoSlim', num_random_samples=2)
