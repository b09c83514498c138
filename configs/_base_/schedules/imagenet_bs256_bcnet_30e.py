# BCNet's ResNet-50 supernet recipe (the authors' BCNet code, ALGORITHMS.md section 2e, V1 column): SGD with
# Nesterov momentum, lr 0.1 for a batch of 256 (8 GPUs x 32), linear warmup from 0 over 5 epochs, then cosine
# decay to 0.1 x 1e-5; weight decay 1e-4; 30 epochs (the code's 150k iterations at 256 images).
_base_ = ['./supernet_epoch_based.py']

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4, nesterov=True))
param_scheduler = [
    # LinearLR cannot start at exactly 0
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=5, end=30, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=30)
auto_scale_lr = dict(base_batch_size=256)
