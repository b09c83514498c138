# autoslim greedy slimming of autoslim_resnet50_supernet_8xb64_in1k.py to AutoSlim's ResNet-50 targets, 3G, 2G, 1G
# and 570M FLOPs in one run (each continuing from the previous one), scoring candidates on the ~50k ImageNet
# training images held out from the supernet; search_result.json lists the four subnets under `results`,
# subnet.json is the 570M one:
#   python tools/train.py configs/autoslim/autoslim_resnet50_search_3g-2g-1g-570mflops_in1k.py \
#       --cfg-options load_from=SUPERNET.pth
_base_ = ['./autoslim_resnet50_supernet_8xb64_in1k.py']
train_cfg = dict(
    _delete_=True,
    type='mmwidth.GreedySlimLoop',
    budget=dict(flops=[3e9, 2e9, 1e9, 570e6]))
