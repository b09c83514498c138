# autoslim greedy slimming of autoslim_mobilenet-v2-1.5x_supernet_8xb64_in1k.py to AutoSlim's MobileNetV2 targets,
# 500, 300 and 200M FLOPs in one run (each continuing from the previous one), scoring candidates on the ~50k
# ImageNet training images held out from the supernet; search_result.json lists the three subnets under `results`,
# subnet.json is the 200M one:
#   python tools/train.py configs/autoslim/autoslim_mobilenet-v2-1.5x_search_500-300-200mflops_in1k.py \
#       --cfg-options load_from=SUPERNET.pth
_base_ = ['./autoslim_mobilenet-v2-1.5x_supernet_8xb64_in1k.py']
train_cfg = dict(
    _delete_=True,
    type='mmwidth.GreedySlimLoop',
    budget=dict(flops=[500e6, 300e6, 200e6]))
