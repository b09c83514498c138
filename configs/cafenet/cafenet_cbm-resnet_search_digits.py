# Evolutionary search of the cafenet digits supernet (cafenet_cbm-resnet_digits.py) at 50% of its largest subnet's
# FLOPs, scored on the held-out `val` split; a small search (at most 80 candidates) for a CPU:
#   python tools/train.py configs/cafenet/cafenet_cbm-resnet_search_digits.py --cfg-options load_from=SUPERNET.pth
_base_ = ['./cafenet_cbm-resnet_digits.py', '../_base_/searches/evolution_digits.py']
train_cfg = dict(_delete_=True, **_base_.evolution_digits)
