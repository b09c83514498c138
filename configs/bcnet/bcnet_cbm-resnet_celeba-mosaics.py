# BCNet supernet of the Channel-Bench-Macro ResNet space on the embedded 40-attribute digit mosaics (16x16), trained
# on the multi-label head's binary cross-entropy; CPU-friendly (the `make demo-attributes` supernet).
_base_ = ['../_base_/models/cbm-resnet_celeba-mosaics.py', '../_base_/schedules/celeba_mosaics_supernet.py']
model = dict(type='mmwidth.BCNet')
