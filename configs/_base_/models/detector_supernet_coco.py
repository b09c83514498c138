# What a detector width supernet on COCO adds to mmdet's configs, whatever the detector: the width-search hooks and
# DDP wrapper, and the held-out part of train2017 that scores the candidates of a search (val2017 stays for the
# final report), with its pipeline and evaluator. The detector bases (./*_supernet_coco.py) wrap mmdet's model and
# its train2017 dataset (in a HeldOutSplit with these: supernets train on the `train` part, searches score on the
# `holdout` part).
custom_imports = dict(imports=['mmwidth'], allow_failed_imports=False)
coco_holdout = 5000  # images of train2017 held out from the supernet's training (as many as val2017 has)
search_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    # the boxes ride along in the data samples: CocoMetric scores exactly the held-out images
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'instances')),
]
search_evaluator = dict(type='CocoMetric', ann_file=None, metric='bbox', format_only=False)
model_wrapper_cfg = dict(type='mmwidth.WidthSearchDDP')
custom_hooks = [
    dict(type='mmwidth.ChannelFairnessHook', interval=50),
    # validation scores the largest subnet, with batch-norm statistics of its own
    dict(type='mmwidth.SubnetNormRecalibrationHook', num_batches=20),
]
