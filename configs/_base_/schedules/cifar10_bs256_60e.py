# Channel-Bench-Macro's training recipe (ALGORITHMS.md section 7, the benchmark's train.py), also BCNetV2's for
# supernets of its spaces: SGD with momentum 0.9 (no Nesterov), lr 0.1 for a batch of 256, cosine decay stepped
# once an epoch over 60 epochs, weight decay 5e-4.
_base_ = ['./supernet_epoch_based.py']

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=60)]
train_cfg = dict(max_epochs=60)
auto_scale_lr = dict(base_batch_size=256)
default_hooks = dict(logger=dict(interval=50))
