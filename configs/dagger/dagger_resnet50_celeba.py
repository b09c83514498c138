# Dagger on CelebA's 40 attributes: ResNet-50 at 50% of the FLOPs, from a ResNet-50 trained on CelebA. mmpretrain
# ships none, so start from an mmwidth supernet of it (configs/bcnet/bcnet_resnet50_supernet_celeba.py: its largest
# subnet is the full network), named by `load_from` below. Gating at a constant lr of 0.002 (a tenth of the
# supernet recipe's peak), at most 2 epochs; the gates freeze once their FLOPs are within 1% of the target for
# 200 steps. Then export the kept channels and fine-tune them (README).
_base_ = [
    '../_base_/models/resnet50_supernet_celeba.py', '../_base_/datasets/celeba_bs64.py',
    '../_base_/schedules/celeba_bs256_20e.py'
]
model = dict(type='mmwidth.Dagger', flops_target=0.5, flops_warmup_iters=200, patience=200)
load_from = 'work_dirs/bcnet_resnet50_supernet_celeba/epoch_20.pth'
optim_wrapper = dict(
    optimizer=dict(lr=0.002),
    paramwise_cfg=dict(custom_keys={'dagger_module': dict(lr_mult=10.0, decay_mult=0.0)}))
param_scheduler = []
train_cfg = dict(max_epochs=2)
custom_hooks = [dict(type='mmwidth.DaggerGatingHook')]
# the Dagger module takes no part in the forward passes after the gates freeze
model_wrapper_cfg = dict(type='mmwidth.WidthSearchDDP', find_unused_parameters=True)
