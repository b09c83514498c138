# Detector supernet training on the embedded digits detection set, iteration-based (change the length with
# --cfg-options train_cfg.max_iters=N, keeping the cosine schedule's `end` in step: param_scheduler.1.end=N;
# N > 50, the warm-up's length: a shorter run keeps param_scheduler as it is, the cosine part never starts).
_base_ = ['../datasets/digits_coco_detection.py', 'mmdet::_base_/default_runtime.py']
# AdamW: from scratch it learns these detectors about twice as fast as SGD (box mAP of the largest FCOS subnet on
# the held-out images after 200 / 400 iterations: 0.073 / 0.125 with AdamW lr 2e-3, 0.039 / 0.090 with SGD lr 0.02)
# DDP that runs a width-search algorithm's multi-pass train step, on GPUs or CPUs (mmdet's runtime has none)
model_wrapper_cfg = dict(type='mmwidth.WidthSearchDDP')
randomness = dict(seed=0, deterministic=False)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.002, weight_decay=0.05),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.05, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=1500, eta_min=1e-4),
]
# 1500 iterations: about 5 CPU-minutes (0.2 s per BCNet step of batch 16 on one core)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=1500, val_interval=500)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=500, by_epoch=False, max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
custom_hooks = [
    dict(type='mmwidth.ChannelFairnessHook', interval=20),
    # validation scores the largest subnet, with batch-norm statistics of its own
    dict(type='mmwidth.SubnetNormRecalibrationHook', num_batches=8),
]
