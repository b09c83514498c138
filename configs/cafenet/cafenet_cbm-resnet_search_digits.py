# Evolutionary search of the cafenet digits supernet (cafenet_cbm-resnet_digits.py) at 50% of its largest subnet's
# FLOPs, scored on the held-out `val` split; a small search (at most 80 candidates) for a CPU:
#   python tools/search.py configs/cafenet/cafenet_cbm-resnet_search_digits.py --checkpoint SUPERNET.pth
_base_ = ['./cafenet_cbm-resnet_digits.py', '../_base_/searches/evolution_digits.py']
