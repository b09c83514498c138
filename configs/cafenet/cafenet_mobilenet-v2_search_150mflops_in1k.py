# cafenet evolutionary search of cafenet_mobilenet-v2_supernet_8xb64_in1k.py under 150M FLOPs, scoring candidates
# on the ~50k ImageNet training images held out from the supernet:
#   python tools/train.py configs/cafenet/cafenet_mobilenet-v2_search_150mflops_in1k.py \
#       --cfg-options load_from=SUPERNET.pth
_base_ = ['./cafenet_mobilenet-v2_supernet_8xb64_in1k.py']
train_cfg = dict(
    _delete_=True,
    type='mmwidth.EvolutionSearchLoop',
    budget=dict(flops=150e6))
