# CafeNet supernet (locally free channels, zone offset 1, min-min over 2 placements) of the Channel-Bench-Macro
# ResNet space on the embedded 40-attribute digit mosaics (16x16), trained on the multi-label head's binary
# cross-entropy.
_base_ = ['../_base_/models/cbm-resnet_celeba-mosaics.py', '../_base_/schedules/celeba_mosaics_supernet.py']
# 16 bins, as the digits config (a free bin of a 4-bin grid is a quarter of a layer: see cafenet_cbm-resnet_digits.py)
model = dict(type='mmwidth.CafeNet', zone_offset=1, num_placements=2, width_space=dict(bins=16))
