# Dagger on the Channel-Bench-Macro ResNet space (the all-4 architecture) and the embedded digits dataset (16x16),
# CPU, a few minutes: 150 iterations of plain training stand for the pretrained model, then gating to 50% of the
# FLOPs; once the hard gates' FLOPs are within 1% of the target, DaggerGatingHook writes
# work_dir/subnet.json (kept channels per group) and a checkpoint and ends the run.
#   python tools/train.py configs/dagger/dagger_cbm-resnet_digits.py --work-dir W
#   python tools/export_subnet.py configs/dagger/dagger_cbm-resnet_digits.py W/subnet.json \
#       --checkpoint $(cat W/last_checkpoint) --out W/pruned
#   python tools/train.py W/pruned/config.py          # fine-tune the pruned model
_base_ = ['../_base_/models/cbm-resnet.py', '../_base_/schedules/digits_supernet.py']
model = dict(
    type='mmwidth.Dagger',
    width_space=dict(input_shape=(3, 16, 16)),
    flops_target=0.5,
    pretrain_iters=150,
    flops_weight=5.0,
    min_ratio=0.1)
# one SGD for the network and the Dagger module; the module learns 10x faster and without weight decay
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'dagger_module': dict(lr_mult=10.0, decay_mult=0.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    # the pretraining's schedule; gating runs at its final lr
    dict(type='CosineAnnealingLR', by_epoch=False, begin=20, end=150, eta_min=2e-3),
]
# an upper bound: the run ends when the gates freeze (measured: at iteration 343)
train_cfg = dict(max_iters=600)
custom_hooks = [dict(type='mmwidth.DaggerGatingHook')]
# the Dagger module takes no part in the pretraining steps' forward passes
model_wrapper_cfg = dict(type='mmwidth.WidthSearchDDP', find_unused_parameters=True)
# Dagger starts from a pretrained model: load_from (e.g. a supernet of the architecture, its full network) lacks the
# Dagger module and its phase buffers: a deliberate partial load (shared keys must fit; resuming is checked in full)
load_partial = True
