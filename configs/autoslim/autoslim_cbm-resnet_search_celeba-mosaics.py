# AutoSlim's greedy slimming of the digit-mosaics supernet (autoslim_cbm-resnet_celeba-mosaics.py) down to 50% of
# the largest subnet's FLOPs, each step scored by the mean attribute accuracy on the `val` partition:
#   python tools/train.py configs/autoslim/autoslim_cbm-resnet_search_celeba-mosaics.py \
#       --cfg-options load_from=SUPERNET.pth
_base_ = ['./autoslim_cbm-resnet_celeba-mosaics.py']
train_cfg = dict(
    _delete_=True,
    type='mmwidth.GreedySlimLoop',
    budget=dict(flops='50%'),
    scorer=dict(type='mmwidth.SupernetScorer', metric='attributes/mean_accuracy', calibration_batches=10))
