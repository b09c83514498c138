# CafeNet supernet of mmdet's Faster R-CNN R-50 FPN on COCO (data/coco), 1x schedule, the backbone searched: FLOPs-
# sensitive bins of 16 to 256 channels, zone offset 1, the better of 2 placements trained.
#   python tools/train.py configs/cafenet/cafenet_faster-rcnn_r50_fpn_supernet_1x_coco.py
_base_ = ['../_base_/models/faster-rcnn_r50_fpn_supernet_coco.py']
model = dict(
    type='mmwidth.CafeNet',
    zone_offset=1,
    num_placements=2,
    width_space=dict(flops_bins=dict(min_bin=16, max_bin=256)))
