# The oracle search (cbm_oracle.py) on the Channel-Bench-Macro ResNet space. A leaf config names the loop
# (train_cfg = dict(type=...)); choose the table and the budget with
#   --cfg-options train_cfg.scorer.table=PATH/Results_ResNet.json train_cfg.budget.flops=50%
_base_ = ['../models/cbm-resnet.py', './cbm_oracle.py']
model = dict(_delete_=True, **_base_.model.architecture)
width_space = _base_.model.width_space
train_cfg = dict(scorer=dict(space='resnet', table='data/channel_bench_macro/Results_ResNet.json'))
