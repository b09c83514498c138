# cafenet evolutionary search of cafenet_resnet50_supernet_celeba.py under 2000M FLOPs, maximising the mean attribute
# accuracy on CelebA's official val partition (the test partition stays for the final report):
#   python tools/train.py configs/cafenet/cafenet_resnet50_search_celeba.py --cfg-options load_from=SUPERNET.pth
_base_ = ['./cafenet_resnet50_supernet_celeba.py']
train_cfg = dict(
    _delete_=True,
    type='mmwidth.EvolutionSearchLoop',
    budget=dict(flops=2e9),
    scorer=dict(type='mmwidth.SupernetScorer', metric='attributes/mean_accuracy'))
