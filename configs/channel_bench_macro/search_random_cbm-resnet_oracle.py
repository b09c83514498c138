_base_ = ['../_base_/searches/cbm-resnet_oracle.py']
train_cfg = dict(type='mmwidth.RandomSearchLoop')
