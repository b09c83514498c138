# BCNetV2's supernet recipe (the authors' BCNetV2 code, ALGORITHMS.md section 2e, V2 column): SGD with Nesterov
# momentum for a batch of 512 (8 GPUs x 64); 5 warmup epochs that go linearly from warmup_lr 0.2 down to the base
# lr 0.1 (as the code does), then cosine decay to 5e-5; weight decay 4e-5, none on normalization weights and
# biases; 300 epochs.
_base_ = ['./supernet_epoch_based.py']

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.2, momentum=0.9, weight_decay=4e-5, nesterov=True),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.))
param_scheduler = [
    # 0.2 -> 0.1: the optimizer's lr is the warmup's starting value
    dict(type='LinearLR', start_factor=1.0, end_factor=0.5, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    # continues from the lr the warmup ended at
    dict(type='CosineAnnealingLR', eta_min=5e-5, by_epoch=True, begin=5, end=300, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=300)
auto_scale_lr = dict(base_batch_size=512)
