# AutoSlim's greedy slimming of the digits supernet (autoslim_cbm-resnet_digits.py) down to 50% of the largest
# subnet's FLOPs, each step scored on the held-out `val` split:
#   python tools/search.py configs/autoslim/autoslim_cbm-resnet_search_digits.py --checkpoint SUPERNET.pth
_base_ = ['./autoslim_cbm-resnet_digits.py', '../_base_/searches/greedy.py']
search_cfg = dict(budget=dict(flops='50%'), scorer=dict(calibration_batches=10))
