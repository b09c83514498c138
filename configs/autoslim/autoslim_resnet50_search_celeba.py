# autoslim greedy slimming of autoslim_resnet50_supernet_celeba.py under 2000M FLOPs, maximising the mean attribute
# accuracy on CelebA's official val partition (the test partition stays for the final report):
#   python tools/search.py configs/autoslim/autoslim_resnet50_search_celeba.py --checkpoint SUPERNET.pth
_base_ = ['./autoslim_resnet50_supernet_celeba.py', '../_base_/searches/greedy.py']
search_cfg = dict(budget=dict(flops=2e9), scorer=dict(metric='attributes/mean_accuracy'))
