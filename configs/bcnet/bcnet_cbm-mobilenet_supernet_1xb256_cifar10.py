# BCNet supernet of the Channel-Bench-Macro MobileNet space on CIFAR-10 with the benchmark's recipe: the 4 widths
# of each of the 7 groups, a random width and its complement in turn, left and right paths.
_base_ = [
    '../_base_/models/cbm-mobilenet.py', '../_base_/datasets/cifar10_bs256.py',
    '../_base_/schedules/cifar10_bs256_60e.py'
]
model = dict(type='mmwidth.BCNet')
