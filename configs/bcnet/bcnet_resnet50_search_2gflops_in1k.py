# bcnet evolutionary search of bcnet_resnet50_supernet_8xb32_in1k.py under 2000M FLOPs, scoring candidates on the
# ~50k ImageNet training images held out from the supernet:
#   python tools/train.py configs/bcnet/bcnet_resnet50_search_2gflops_in1k.py --cfg-options load_from=SUPERNET.pth
_base_ = ['./bcnet_resnet50_supernet_8xb32_in1k.py']
train_cfg = dict(
    _delete_=True,
    type='mmwidth.EvolutionSearchLoop',
    budget=dict(flops=2e9))
