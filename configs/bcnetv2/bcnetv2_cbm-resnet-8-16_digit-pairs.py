# BCNetV2 supernet of the Channel-Bench-Macro ResNet space at 8/16 channels on the embedded digit pairs: N = 4
# bins with a minimum of m = 1, so the supernet is widened to 5 bins (10/20 channels, 1.25x) and widths stay in
# [1, 4] bins. 2 passes a step, 6400 steps = 12800 passes.
_base_ = ['../_base_/models/cbm-resnet-8-16.py', '../_base_/schedules/digit_pairs_supernet.py']
model = dict(type='mmwidth.BCNetV2', min_bins=1)
