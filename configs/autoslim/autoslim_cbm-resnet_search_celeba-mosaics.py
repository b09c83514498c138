# AutoSlim's greedy slimming of the digit-mosaics supernet (autoslim_cbm-resnet_celeba-mosaics.py) down to 50% of
# the largest subnet's FLOPs, each step scored by the mean attribute accuracy on the `val` partition:
#   python tools/search.py configs/autoslim/autoslim_cbm-resnet_search_celeba-mosaics.py --checkpoint SUPERNET.pth
_base_ = ['./autoslim_cbm-resnet_celeba-mosaics.py', '../_base_/searches/greedy.py']
search_cfg = dict(budget=dict(flops='50%'), scorer=dict(metric='attributes/mean_accuracy', calibration_batches=10))
