# bcnetv2 evolutionary search of bcnetv2_mobilenet-v2_supernet_celeba.py under 150M FLOPs, maximising the mean attribute
# accuracy on CelebA's official val partition (the test partition stays for the final report):
#   python tools/train.py configs/bcnetv2/bcnetv2_mobilenet-v2_search_celeba.py --cfg-options load_from=SUPERNET.pth
_base_ = ['./bcnetv2_mobilenet-v2_supernet_celeba.py']
train_cfg = dict(
    _delete_=True,
    type='mmwidth.EvolutionSearchLoop',
    budget=dict(flops=150e6),
    scorer=dict(type='mmwidth.SupernetScorer', metric='attributes/mean_accuracy'))
