# Supernet training on the digits dataset: a few hundred iterations, about a minute on 2 CPU cores.
_base_ = ['../datasets/digits_bs64.py', '../default_runtime.py']

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=5e-4, nesterov=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=20, end=200, eta_min=1e-4),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=200, val_interval=100)
# batches of 32 keep a step of several subnets around a third of a second on 2 CPU cores
train_dataloader = dict(batch_size=32)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=100, by_epoch=False, max_keep_ckpts=2),
)
log_processor = dict(by_epoch=False)
custom_hooks = [
    dict(type='mmwidth.ChannelFairnessHook', interval=10),
    # validation scores the largest subnet, with batch-norm statistics of its own
    dict(type='mmwidth.SubnetNormRecalibrationHook', num_batches=10),
]
