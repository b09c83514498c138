# Supernet training on the digit pairs with the ground truth's optimizer (SGD, Nesterov, lr 0.1, weight decay
# 5e-4, 20 warm-up iterations, cosine): 12800 forward-backward passes, 8x the 1600 steps that train one arch of
# the table. A method's config sets `max_iters` to 12800 / (its passes per step) and the cosine's `end` with it.
_base_ = ['../datasets/digit_pairs_bs64.py', '../default_runtime.py']

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.05, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=20, end=6400, eta_min=0),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=6400, val_interval=6400)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=100),
    checkpoint=dict(type='CheckpointHook', interval=1600, by_epoch=False, max_keep_ckpts=1),
)
log_processor = dict(by_epoch=False)
custom_hooks = [
    dict(type='mmwidth.ChannelFairnessHook', interval=100),
    # validation scores the largest subnet, with batch-norm statistics of its own
    dict(type='mmwidth.SubnetNormRecalibrationHook', num_batches=10),
]
