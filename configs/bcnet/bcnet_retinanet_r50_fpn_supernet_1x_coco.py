# BCNet supernet of mmdet's RetinaNet R-50 FPN on COCO (data/coco), 1x schedule, the backbone searched: every
# backbone group in 20 bins, a random width and its complement in turn, left and right paths.
#   python tools/train.py configs/bcnet/bcnet_retinanet_r50_fpn_supernet_1x_coco.py
_base_ = ['../_base_/models/retinanet_r50_fpn_supernet_coco.py']
model = dict(type='mmwidth.BCNet', width_space=dict(bins=20))
