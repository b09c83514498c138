# Dagger on CelebA's 40 attributes: ResNet-50 at 50% of the FLOPs, from a ResNet-50 trained on CelebA. mmpretrain
# ships none, so start from an mmwidth supernet of it (configs/bcnet/bcnet_resnet50_supernet_celeba.py: its largest
# subnet is the full network), named by `load_from` below. Gating at a constant lr of 0.002 (a tenth of the
# supernet recipe's peak), at most 2 epochs; the gates freeze once their FLOPs are within 1% of the target for
# 200 steps. Then export the kept channels and fine-tune them (README).
_base_ = [
    '../_base_/models/resnet50_supernet_celeba.py', '../_base_/datasets/celeba_bs64.py',
    '../_base_/schedules/dagger_gating_epoch_based.py'
]
model = dict(type='mmwidth.Dagger', flops_target=0.5, flops_warmup_iters=200, patience=200)
load_from = 'work_dirs/bcnet_resnet50_supernet_celeba/epoch_20.pth'
optim_wrapper = dict(optimizer=dict(lr=0.002, weight_decay=1e-4))
train_cfg = dict(max_epochs=2)
auto_scale_lr = dict(base_batch_size=256)
# Dagger starts from a pretrained model: load_from (e.g. a supernet of the architecture, its full network) lacks the
# Dagger module and its phase buffers: a deliberate partial load (shared keys must fit; resuming is checked in full)
load_partial = True
