# Width search on the Channel-Bench-Macro ResNet space with the benchmark's table as the oracle: a candidate
# scores its mean CIFAR-10 accuracy (3 trainings from scratch), so search loops are compared on ground truth
# without a supernet. The model only defines the width space (7 groups, 4 widths each); it is never trained.
# A leaf config names the loop (train_cfg = dict(type=...)); choose the table and the budget with
#   --cfg-options train_cfg.scorer.table=PATH/Results_ResNet.json train_cfg.budget.flops=50%
_base_ = ['../models/cbm-resnet.py', '../default_runtime.py']
model = dict(_delete_=True, **_base_.model.architecture)
width_space = _base_.model.width_space
train_cfg = dict(
    scorer=dict(type='mmwidth.ChannelBenchMacroOracle', space='resnet',
                table='data/channel_bench_macro/Results_ResNet.json'),
    # a fraction of the largest arch's FLOPs; candidates lie in [0.8, 1] x the limit
    budget=dict(flops='50%', window=0.8),
    max_evaluations=300,
    seed=0)
# MMEngine's runner builds a train_cfg loop only beside a training loader and an optimizer; an oracle search
# scores from its table and uses neither: they name the CIFAR-10 training the table records and are not used
train_dataloader = dict(
    batch_size=256,
    dataset=dict(type='mmpretrain.CIFAR10', data_root='data/cifar10', split='train',
                 pipeline=[dict(type='mmpretrain.PackInputs')]),
    sampler=dict(type='DefaultSampler', shuffle=True))
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))
