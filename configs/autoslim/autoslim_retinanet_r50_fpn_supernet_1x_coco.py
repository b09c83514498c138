# AutoSlim supernet of mmdet's RetinaNet R-50 FPN on COCO (data/coco), 1x schedule, the backbone searched: the
# sandwich rule (largest, smallest and 2 random subnets) on 2/12 .. 12/12 of each group, multiples of 8.
#   python tools/train.py configs/autoslim/autoslim_retinanet_r50_fpn_supernet_1x_coco.py
_base_ = ['../_base_/models/retinanet_r50_fpn_supernet_coco.py']
model = dict(
    type='mmwidth.AutoSlim',
    num_random_samples=2,
    # every subnet learns from the boxes and labels (no distillation of the largest subnet's head outputs)
    distill_module=None,
    width_space=dict(ratios=[i / 12 for i in range(2, 13)], divisor=8))
