# What every epoch-based supernet training shares: the loop, checkpoints and the width-search hooks. The recipe
# files in this folder inherit it and add the optimizer, the learning-rate schedule and the number of epochs.
_base_ = ['../default_runtime.py']

train_cfg = dict(type='EpochBasedTrainLoop', val_interval=1)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=100),
    # a resumable supernet needs only the latest checkpoints
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
)
custom_hooks = [
    dict(type='mmwidth.ChannelFairnessHook', interval=100),
    # validation scores the evaluated subnet with batch-norm statistics of its own, re-estimated on 20 training
    # batches as in BCNetV2's evaluator
    dict(type='mmwidth.SubnetNormRecalibrationHook', num_batches=20),
]
