# CafeNet supernet (locally free channels, zone offset 1, min-min over 2 placements) of the Channel-Bench-Macro
# ResNet space on CIFAR-10 with the benchmark's recipe and its 4 widths per group.
_base_ = [
    '../_base_/models/cbm-resnet.py', '../_base_/datasets/cifar10_bs256.py', '../_base_/schedules/cifar10_bs256_60e.py'
]
model = dict(type='mmwidth.CafeNet', zone_offset=1, num_placements=2)
