# AutoSlim's greedy slimming of the digit-pairs supernet (autoslim_cbm-resnet-8-16_digit-pairs.py) down to 50%
# of the largest subnet's FLOPs, each step scored on the held-out `val` pairs:
#   python tools/train.py configs/autoslim/autoslim_cbm-resnet-8-16_search_digit-pairs.py \
#       --cfg-options load_from=SUPERNET.pth
_base_ = ['./autoslim_cbm-resnet-8-16_digit-pairs.py', '../_base_/searches/greedy_digits.py']
train_cfg = dict(_delete_=True, **_base_.greedy_digits)
