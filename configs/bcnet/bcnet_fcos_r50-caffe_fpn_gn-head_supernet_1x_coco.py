# BCNet supernet of mmdet's FCOS R-50 (caffe) FPN GN-head on COCO (data/coco), 1x schedule, the backbone searched:
# every backbone group in 20 bins, a random width and its complement in turn, left and right paths.
#   python tools/train.py configs/bcnet/bcnet_fcos_r50-caffe_fpn_gn-head_supernet_1x_coco.py
_base_ = ['../_base_/models/fcos_r50-caffe_fpn_gn-head_supernet_coco.py']
model = dict(type='mmwidth.BCNet', width_space=dict(bins=20))
