# bcnetv2 evolutionary search of bcnetv2_mobilenet-v2-1.5x_supernet_8xb64_in1k.py under 305M FLOPs, scoring
# candidates on the ~50k ImageNet training images held out from the supernet:
#   python tools/train.py configs/bcnetv2/bcnetv2_mobilenet-v2-1.5x_search_305mflops_in1k.py \
#       --cfg-options load_from=SUPERNET.pth
_base_ = ['./bcnetv2_mobilenet-v2-1.5x_supernet_8xb64_in1k.py']
train_cfg = dict(
    _delete_=True,
    type='mmwidth.EvolutionSearchLoop',
    budget=dict(flops=305e6))
