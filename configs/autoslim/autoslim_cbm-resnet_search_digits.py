# AutoSlim's greedy slimming of the digits supernet (autoslim_cbm-resnet_digits.py) down to 50% of the largest
# subnet's FLOPs, each step scored on the held-out `val` split:
#   python tools/train.py configs/autoslim/autoslim_cbm-resnet_search_digits.py --cfg-options load_from=SUPERNET.pth
_base_ = ['./autoslim_cbm-resnet_digits.py', '../_base_/searches/greedy_digits.py']
train_cfg = dict(_delete_=True, **_base_.greedy_digits)
