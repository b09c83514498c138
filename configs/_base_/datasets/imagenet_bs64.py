# ImageNet-1k in mmpretrain's layout under data/imagenet (train/ and val/ image folders, optionally with
# meta/train.txt and meta/val.txt), 64 images per GPU, the standard augmentation of supernet training.
dataset_type = 'mmpretrain.ImageNet'
data_preprocessor = dict(
    num_classes=1000,
    # RGB mean and std of ImageNet
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    # images are loaded as BGR
    to_rgb=True,
)

# Pillow resizing, as torchvision's transforms and mmpretrain's *_pil_resize settings do
train_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.RandomResizedCrop', scale=224, backend='pillow'),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]

test_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.ResizeEdge', scale=256, edge='short', backend='pillow'),
    dict(type='mmpretrain.CenterCrop', crop_size=224),
    dict(type='mmpretrain.PackInputs'),
]

# About 50k training images (4%) are held out: the supernet never sees them and a width search scores its
# candidates on them (search_dataloader), keeping the validation set for the final report.
train_split = dict(type=dataset_type, data_root='data/imagenet', split='train')
train_dataloader = dict(
    batch_size=64,
    num_workers=5,
    dataset=dict(
        type='mmwidth.HeldOutSplit', part='train', holdout=0.04, dataset=dict(train_split, pipeline=train_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
search_dataloader = dict(
    batch_size=64,
    num_workers=5,
    dataset=dict(
        type='mmwidth.HeldOutSplit', part='holdout', holdout=0.04, dataset=dict(train_split, pipeline=test_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=False),
)

# The official validation set scores the evaluated subnet while the supernet trains and the final models.
val_dataloader = dict(
    batch_size=64,
    num_workers=5,
    dataset=dict(type=dataset_type, data_root='data/imagenet', split='val', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, 5))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
