# CIFAR-10 (mmpretrain's CIFAR10: the python version under data/cifar10/cifar-10-batches-py) with the augmentation
# of Channel-Bench-Macro's training: random 32x32 crops of the image padded by 4, horizontal flips; a batch of 256
# on one GPU.
# A missing dataset is an error (`download=False`) rather than a download from the job, as cluster nodes are often
# offline; fetch it once with
# --cfg-options train_dataloader.dataset.download=True val_dataloader.dataset.download=True.
dataset_type = 'mmpretrain.CIFAR10'
data_preprocessor = dict(
    num_classes=10,
    # RGB mean and std of the CIFAR-10 training set
    mean=[125.307, 122.961, 113.8575],
    std=[51.5865, 50.847, 51.255],
    # the dataset yields RGB arrays
    to_rgb=False)

train_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=32, padding=4),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]

test_pipeline = [
    dict(type='mmpretrain.PackInputs'),
]

# 10% of the training images (5000) are held out: the supernet never sees them and a width search scores its
# candidates on them (search_dataloader), keeping the test set for the final report.
train_split = dict(type=dataset_type, data_root='data/cifar10', split='train', download=False)
train_dataloader = dict(
    batch_size=256,
    num_workers=4,
    dataset=dict(
        type='mmwidth.HeldOutSplit', part='train', holdout=0.1, dataset=dict(train_split, pipeline=train_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
search_dataloader = dict(
    batch_size=256,
    num_workers=4,
    dataset=dict(
        type='mmwidth.HeldOutSplit', part='holdout', holdout=0.1, dataset=dict(train_split, pipeline=test_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=False),
)

# The benchmark's accuracies are CIFAR-10 test accuracies, and BCNetV2 scores every subnet of a Channel-Bench-Macro
# space on the test set to correlate the two (ALGORITHMS.md, section 7); validation uses it as well.
val_dataloader = dict(
    batch_size=256,
    num_workers=4,
    dataset=dict(
        type=dataset_type, data_root='data/cifar10', split='test', download=False, pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
