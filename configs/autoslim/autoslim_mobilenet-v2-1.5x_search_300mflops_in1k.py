# autoslim greedy slimming of autoslim_mobilenet-v2-1.5x_supernet_8xb64_in1k.py under 300M FLOPs, scoring
# candidates on the ~50k ImageNet training images held out from the supernet:
#   python tools/search.py configs/autoslim/autoslim_mobilenet-v2-1.5x_search_300mflops_in1k.py --checkpoint SUPERNET.pth
_base_ = ['./autoslim_mobilenet-v2-1.5x_supernet_8xb64_in1k.py', '../_base_/searches/greedy.py']
search_cfg = dict(budget=dict(flops=300e6))
