# BCNetV2 supernet of mmdet's RetinaNet R-50 FPN on COCO (data/coco), 1x schedule, the backbone searched: every
# backbone group widened to 22 bins (1.1x), widths searched in [2, 20] bins.
#   python tools/train.py configs/bcnetv2/bcnetv2_retinanet_r50_fpn_supernet_1x_coco.py
_base_ = ['../_base_/models/retinanet_r50_fpn_supernet_coco.py']
model = dict(type='mmwidth.BCNetV2', min_bins=2, width_space=dict(bins=20))
