# MobileNetV2 1.5x, the supernet of AutoSlim and of BCNetV2's 305M-FLOPs search: every width of the 1.0x network
# times 1.5 (rounded to multiples of 8), last conv 1920 channels.
_base_ = ['./mobilenet-v2_supernet.py']
model = dict(architecture=dict(backbone=dict(widen_factor=1.5), head=dict(in_channels=1920)))
