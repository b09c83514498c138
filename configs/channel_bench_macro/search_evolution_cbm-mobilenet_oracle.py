_base_ = ['../_base_/searches/cbm-mobilenet_oracle.py']
train_cfg = dict(**_base_.cbm_evolution)
