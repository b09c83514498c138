_base_ = ['../_base_/searches/cbm-mobilenet_oracle.py']
# AutoSlim's greedy slimming from the largest arch; the window does not apply to it
train_cfg = dict(type='mmwidth.GreedySlimLoop')
