# Supernet training on CelebA (mmwidth's recipe: the papers give none for CelebA): SGD with Nesterov momentum,
# lr 0.02 for a batch of 256 (e.g. 4 GPUs x 64) -- a fifth of the ImageNet rate, as the multi-label head's loss sums
# the binary cross-entropies of the 40 attributes --, weight decay 1e-4, linear warmup over 1 epoch, then cosine
# decay to 0 over 20 epochs (about 12.7k iterations of 256 faces).
_base_ = ['./supernet_epoch_based.py']

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4, nesterov=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=0, by_epoch=True, begin=1, end=20, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=20)
auto_scale_lr = dict(base_batch_size=256)
