# Evolutionary search of the bcnet digits supernet (bcnet_cbm-resnet_digits.py) at 50% of its largest subnet's
# FLOPs, scored on the held-out `val` split; a small search (at most 80 candidates) for a CPU:
#   python tools/search.py configs/bcnet/bcnet_cbm-resnet_search_digits.py --checkpoint SUPERNET.pth
_base_ = ['./bcnet_cbm-resnet_digits.py', '../_base_/searches/evolution_digits.py']
