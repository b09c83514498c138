# bcnetv2 evolutionary search of bcnetv2_resnet50_supernet_celeba.py under 2000M FLOPs, maximising the mean attribute
# accuracy on CelebA's official val partition (the test partition stays for the final report):
#   python tools/search.py configs/bcnetv2/bcnetv2_resnet50_search_celeba.py --checkpoint SUPERNET.pth
_base_ = ['./bcnetv2_resnet50_supernet_celeba.py', '../_base_/searches/evolution.py']
search_cfg = dict(budget=dict(flops=2e9), scorer=dict(metric='attributes/mean_accuracy'))
