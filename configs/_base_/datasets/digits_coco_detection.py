# The embedded digits detection set (mmwidth.DigitsCocoDataset: scikit-learn's digits pasted onto 64x64 canvases,
# written once as COCO json + PNG files into ~/.cache/mmwidth and read by mmdet's CocoDataset), laid out like
# COCO in the detection configs: supernets train on a HeldOutSplit of `train`, a width search scores on its
# held-out part (as on train2017), and the final report is on `test` (as on val2017). Scored by mmdet's
# CocoMetric, with the ground truth taken from the data samples (the `instances` meta key), so that any subset
# of a split scores only its own images.
# registers mmwidth (its checkpoint allow-list too) and the dataset in every process the runner starts
custom_imports = dict(imports=['mmwidth', 'mmwidth.datasets.digits_detection'], allow_failed_imports=False)
dataset_type = 'mmwidth.DigitsCocoDataset'
canvas_size = 64
search_holdout = 128  # images of `train` held out to score the candidates of a width search

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    # the canvases already have the network's size: Resize only records the (unit) scale factor
    dict(type='Resize', scale=(canvas_size, canvas_size), keep_ratio=True),
    dict(type='PackDetInputs'),  # no flip: a mirrored digit is another character
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(canvas_size, canvas_size), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'instances')),
]
train_split = dict(type=dataset_type, split='train', canvas_size=canvas_size, filter_cfg=dict(filter_empty_gt=True))
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='mmwidth.HeldOutSplit', part='train', holdout=search_holdout,
                 dataset=dict(train_split, pipeline=train_pipeline)))
# a width search scores its candidates on the held-out part of `train`
search_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='mmwidth.HeldOutSplit', part='holdout', holdout=search_holdout,
                 dataset=dict(train_split, pipeline=test_pipeline)))
search_evaluator = dict(type='CocoMetric', ann_file=None, metric='bbox', format_only=False)
val_dataloader = search_dataloader
val_evaluator = search_evaluator
test_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, split='test', canvas_size=canvas_size, test_mode=True, pipeline=test_pipeline))
test_evaluator = search_evaluator
