# CelebA's 40 face attributes (mmwidth.CelebA) in the official layout under data/celeba: the aligned 178x218 faces
# in img_align_celeba/, list_attr_celeba.txt and list_eval_partition.txt (at the top, or in Img/, Anno/ and Eval/).
# 64 images per GPU. Preprocessing: the whole aligned face resized to 224x224 (no crop: hats, earrings and
# necklaces sit near the borders), a horizontal flip in training (no CelebA attribute is left/right-specific).
_base_ = ['./celeba_evaluators.py']
dataset_type = 'mmwidth.CelebA'
data_root = 'data/celeba'
data_preprocessor = dict(
    num_classes=40,
    # RGB mean and std of ImageNet (the usual normalisation of CelebA attribute classifiers)
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    # images are loaded as BGR
    to_rgb=True,
)

train_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=(224, 224), backend='pillow'),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]

test_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=(224, 224), backend='pillow'),
    dict(type='mmpretrain.PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=5,
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

# The official validation partition (19,867 faces) scores the evaluated subnet while the supernet trains and the
# candidates of a width search; the test partition (19,962 faces) is kept for the final report.
val_dataloader = dict(
    batch_size=64,
    num_workers=5,
    dataset=dict(type=dataset_type, data_root=data_root, split='val', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
search_dataloader = val_dataloader

test_dataloader = dict(val_dataloader, dataset=dict(val_dataloader['dataset'], split='test'))
