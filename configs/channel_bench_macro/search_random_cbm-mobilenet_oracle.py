_base_ = ['../_base_/searches/cbm-mobilenet_oracle.py']
train_cfg = dict(type='mmwidth.RandomSearchLoop')
