# BCNet supernet of the Channel-Bench-Macro ResNet space at 8/16 channels on the embedded digit pairs (16x32,
# 100 classes): the space of the ground truth benchmarks/data/digit-pairs_cbm-resnet-8-16.json. 2 passes a
# step (left, right), 6400 steps = 12800 passes; about 10 min on 2 CPU cores.
_base_ = ['../_base_/models/cbm-resnet-8-16.py', '../_base_/schedules/digit_pairs_supernet.py']
model = dict(type='mmwidth.BCNet')
