# Evolutionary search of the cafenet digit-mosaics supernet (cafenet_cbm-resnet_celeba-mosaics.py) at 50% of its
# largest subnet's FLOPs, maximising the mean attribute accuracy on the `val` partition (at most 48 candidates):
#   python tools/train.py configs/cafenet/cafenet_cbm-resnet_search_celeba-mosaics.py \
#       --cfg-options load_from=SUPERNET.pth
_base_ = ['./cafenet_cbm-resnet_celeba-mosaics.py', '../_base_/searches/evolution_mosaics.py']
train_cfg = dict(_delete_=True, **_base_.evolution_mosaics)
