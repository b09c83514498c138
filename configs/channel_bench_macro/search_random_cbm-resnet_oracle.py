_base_ = ['../_base_/searches/cbm-resnet_oracle.py']
search_cfg = dict(type='mmwidth.RandomSearchLoop')
