# BCNet supernet of a small vision transformer on the embedded digits dataset (16x16), CPU-friendly: the
# embedding, attention and MLP widths searched together (see the model's base config). It shows the mechanism
# on a CPU, not a good ViT: from scratch on 1,150 images it learns slowly (the largest subnet at 21% after the
# schedule's 200 SGD steps; 18% with AdamW lr 1e-3 after 200 and 34% after 1000 steps).
_base_ = ['../_base_/models/vit-digits.py', '../_base_/schedules/digits_supernet.py']
model = dict(type='mmwidth.BCNet')
