# Evolutionary search of the BCNet digits FCOS supernet's backbone (bcnet_fcos_r18-narrow_fpn_digits.py) at 50% of
# the backbone's FLOPs, scored by COCO box mAP on the images held out of the digits detection set's `train`:
#   python tools/train.py configs/bcnet/bcnet_fcos_r18-narrow_fpn_search_digits.py --cfg-options load_from=SUPERNET.pth
_base_ = ['./bcnet_fcos_r18-narrow_fpn_digits.py', '../_base_/searches/evolution_detection_digits.py']
train_cfg = dict(_delete_=True, **_base_.evolution_detection_digits)
