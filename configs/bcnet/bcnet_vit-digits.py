# BCNet supernet of a small vision transformer on the embedded digits dataset (16x16), CPU-friendly: the
# embedding, attention and MLP widths searched together (see the model's base config).
_base_ = ['../_base_/models/vit-digits.py', '../_base_/schedules/digits_supernet.py']
model = dict(type='mmwidth.BCNet')
