_base_ = ['../_base_/searches/cbm-mobilenet_oracle.py']
search_cfg = dict(type='mmwidth.RandomSearchLoop')
