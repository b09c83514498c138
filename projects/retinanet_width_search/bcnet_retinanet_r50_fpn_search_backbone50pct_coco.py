# Evolutionary search of the RetinaNet backbone's widths at half the backbone's FLOPs (the budget counts the
# backbone only; the result reports backbone and whole-detector FLOPs). Candidates are scored by COCO box mAP of
# the mean of their left and right subnets on val2017 (COCO has no held-out training split here).
#   python tools/search.py projects/retinanet_width_search/bcnet_retinanet_r50_fpn_search_backbone50pct_coco.py \
#       --checkpoint SUPERNET.pth
_base_ = ['./bcnet_retinanet_r50_fpn_supernet_1x_coco.py', '../../configs/_base_/searches/evolution.py']
search_dataloader = _base_.val_dataloader
search_cfg = dict(
    budget=dict(flops='50%', scope='backbone'),
    scorer=dict(metric='coco/bbox_mAP'))
