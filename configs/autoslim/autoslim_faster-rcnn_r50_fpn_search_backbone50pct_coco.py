# Evolutionary search of the AutoSlim Faster R-CNN R-50 FPN supernet's backbone at half its FLOPs (at 1333x800),
# scored by COCO box mAP on the images held out of train2017 (val2017 stays for the final report):
#   python tools/train.py configs/autoslim/autoslim_faster-rcnn_r50_fpn_search_backbone50pct_coco.py \
#       --cfg-options load_from=SUPERNET.pth
_base_ = ['./autoslim_faster-rcnn_r50_fpn_supernet_1x_coco.py', '../_base_/searches/evolution_detection.py']
train_cfg = dict(_delete_=True, **_base_.evolution_detection)
