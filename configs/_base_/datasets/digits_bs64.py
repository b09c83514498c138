# scikit-learn's 8x8 handwritten digits upsampled to 16x16 (mmwidth.DigitsDataset): a dataset that needs no
# download, for training and width search on a CPU.
dataset_type = 'mmwidth.DigitsDataset'
image_size = 16
data_preprocessor = dict(
    num_classes=10,
    # Pixel mean and std of the train split at 16x16 (gray, so the same for the 3 channels); recompute them when
    # changing `image_size`: upsampling smooths the images and lowers the std.
    mean=[77.90, 77.90, 77.90],
    std=[81.35, 81.35, 81.35],
    # the gray images are replicated to 3 channels, no channel order to change
    to_rgb=False)

train_pipeline = [
    # shifts of up to 2 pixels; the padding is 0, the digits' background
    dict(type='mmpretrain.RandomCrop', crop_size=image_size, padding=2),
    dict(type='mmpretrain.PackInputs'),
]

test_pipeline = [
    dict(type='mmpretrain.PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(type=dataset_type, split='train', image_size=image_size, pipeline=train_pipeline),
    # iteration-based training: MMEngine pauses 2 s each time a DefaultSampler runs out (every 18 batches here)
    sampler=dict(type='InfiniteSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    # held out from the train split: scores the candidate subnets of a width search
    dataset=dict(type=dataset_type, split='val', image_size=image_size, pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
# a width search scores its candidates on the same held-out split
search_dataloader = val_dataloader

test_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(type=dataset_type, split='test', image_size=image_size, pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = val_evaluator
