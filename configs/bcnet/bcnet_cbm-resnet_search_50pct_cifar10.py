# bcnet evolutionary search of bcnet_cbm-resnet_supernet_1xb256_cifar10.py under half the FLOPs of the largest
# subnet, scoring candidates on the 10% of CIFAR-10 training images held out from the supernet:
#   python tools/train.py configs/bcnet/bcnet_cbm-resnet_search_50pct_cifar10.py --cfg-options load_from=SUPERNET.pth
_base_ = ['./bcnet_cbm-resnet_supernet_1xb256_cifar10.py']
train_cfg = dict(
    _delete_=True,
    type='mmwidth.EvolutionSearchLoop',
    budget=dict(flops='50%'))
