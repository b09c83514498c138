# autoslim greedy slimming of autoslim_resnet50_supernet_celeba.py under 2000M FLOPs, maximising the mean attribute
# accuracy on CelebA's official val partition (the test partition stays for the final report):
#   python tools/train.py configs/autoslim/autoslim_resnet50_search_celeba.py --cfg-options load_from=SUPERNET.pth
_base_ = ['./autoslim_resnet50_supernet_celeba.py']
train_cfg = dict(
    _delete_=True,
    type='mmwidth.GreedySlimLoop',
    budget=dict(flops=2e9),
    scorer=dict(type='mmwidth.SupernetScorer', metric='attributes/mean_accuracy'))
