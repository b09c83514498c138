# Supernet training on the embedded digit mosaics: a few hundred iterations of 32 mosaics, a few minutes on 2 CPU
# cores. Iteration-based: change the length with --cfg-options train_cfg.max_iters=N param_scheduler.1.end=N
# (N > 20, the warm-up's length: a shorter run keeps param_scheduler as it is).
_base_ = ['../datasets/celeba_digit_mosaics_bs64.py', '../default_runtime.py']

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4, nesterov=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=20, end=400, eta_min=1e-4),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=400, val_interval=200)
train_dataloader = dict(batch_size=32)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=200, by_epoch=False, max_keep_ckpts=2),
)
log_processor = dict(by_epoch=False)
custom_hooks = [
    dict(type='mmwidth.ChannelFairnessHook', interval=20),
    # validation scores the largest subnet, with batch-norm statistics of its own
    dict(type='mmwidth.SubnetNormRecalibrationHook', num_batches=10),
]
