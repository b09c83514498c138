# Evolutionary search of the bcnet digit-pairs supernet (bcnet_cbm-resnet-8-16_digit-pairs.py) at 50% of its largest
# subnet's FLOPs, scored on the held-out `val` pairs (5 generations of 16 candidates, at most 80):
#   python tools/train.py configs/bcnet/bcnet_cbm-resnet-8-16_search_digit-pairs.py --cfg-options load_from=SUPERNET.pth
_base_ = ['./bcnet_cbm-resnet-8-16_digit-pairs.py', '../_base_/searches/evolution_digits.py']
train_cfg = dict(_delete_=True, **_base_.evolution_digits)
