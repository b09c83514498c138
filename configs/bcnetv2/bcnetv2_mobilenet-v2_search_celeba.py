# bcnetv2 evolutionary search of bcnetv2_mobilenet-v2_supernet_celeba.py under 150M FLOPs, maximising the mean attribute
# accuracy on CelebA's official val partition (the test partition stays for the final report):
#   python tools/search.py configs/bcnetv2/bcnetv2_mobilenet-v2_search_celeba.py --checkpoint SUPERNET.pth
_base_ = ['./bcnetv2_mobilenet-v2_supernet_celeba.py', '../_base_/searches/evolution.py']
search_cfg = dict(budget=dict(flops=150e6), scorer=dict(metric='attributes/mean_accuracy'))
