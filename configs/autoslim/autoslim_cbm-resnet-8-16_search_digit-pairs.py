# AutoSlim's greedy slimming of the digit-pairs supernet (autoslim_cbm-resnet-8-16_digit-pairs.py) down to 50%
# of the largest subnet's FLOPs, each step scored on the held-out `val` pairs:
#   python tools/search.py configs/autoslim/autoslim_cbm-resnet-8-16_search_digit-pairs.py --checkpoint SUPERNET.pth
_base_ = ['./autoslim_cbm-resnet-8-16_digit-pairs.py', '../_base_/searches/greedy.py']
search_cfg = dict(budget=dict(flops='50%'), scorer=dict(calibration_batches=10))
