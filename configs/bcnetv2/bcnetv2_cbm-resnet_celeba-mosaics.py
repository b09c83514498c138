# BCNetV2 supernet of the Channel-Bench-Macro ResNet space on the embedded 40-attribute digit mosaics (16x16):
# N = 4 bins with a minimum of m = 1 (widened to 5 bins), trained on the multi-label head's binary cross-entropy.
_base_ = ['../_base_/models/cbm-resnet_celeba-mosaics.py', '../_base_/schedules/celeba_mosaics_supernet.py']
model = dict(type='mmwidth.BCNetV2', min_bins=1)
