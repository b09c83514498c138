# autoslim greedy slimming of autoslim_mobilenet-v2_supernet_celeba.py under 150M FLOPs, maximising the mean attribute
# accuracy on CelebA's official val partition (the test partition stays for the final report):
#   python tools/search.py configs/autoslim/autoslim_mobilenet-v2_search_celeba.py --checkpoint SUPERNET.pth
_base_ = ['./autoslim_mobilenet-v2_supernet_celeba.py', '../_base_/searches/greedy.py']
search_cfg = dict(budget=dict(flops=150e6), scorer=dict(metric='attributes/mean_accuracy'))
