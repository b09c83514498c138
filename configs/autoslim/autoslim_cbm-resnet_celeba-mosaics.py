# AutoSlim supernet (sandwich rule, in-place distillation: the binary KL between the attributes' sigmoid
# probabilities, chosen from the multi-label head) of the Channel-Bench-Macro ResNet space on the embedded
# 40-attribute digit mosaics (16x16), CPU-friendly.
_base_ = ['../_base_/models/cbm-resnet_celeba-mosaics.py', '../_base_/schedules/celeba_mosaics_supernet.py']
model = dict(type='mmwidth.AutoSlim', num_random_samples=2)
