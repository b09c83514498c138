# Evolutionary search of the BCNetV2 FCOS R-50 (caffe) FPN GN-head supernet's backbone at half its FLOPs (at
# 1333x800), scored by COCO box mAP on the images held out of train2017 (val2017 stays for the final report):
#   python tools/train.py configs/bcnetv2/bcnetv2_fcos_r50-caffe_fpn_gn-head_search_backbone50pct_coco.py \
#       --cfg-options load_from=SUPERNET.pth
_base_ = ['./bcnetv2_fcos_r50-caffe_fpn_gn-head_supernet_1x_coco.py', '../_base_/searches/evolution_detection.py']
train_cfg = dict(_delete_=True, **_base_.evolution_detection)
