# mmwidth.DigitMosaics: 2x2 mosaics (16x16) of scikit-learn's handwritten digits with 40 attributes of the digits
# they show, written in CelebA's official format into data/digit_mosaics when missing and read by mmwidth.CelebA:
# a multi-label attribute task for training and width search on a CPU. Official partitions: 4000 train, 500 val
# (scores the candidates of a width search), 1000 test (the final report).
_base_ = ['./celeba_evaluators.py']
dataset_type = 'mmwidth.DigitMosaics'
data_root = 'data/digit_mosaics'
data_preprocessor = dict(
    num_classes=40,
    # pixel mean and std of the train mosaics (gray, so the same for the 3 channels)
    mean=[78.0, 78.0, 78.0],
    std=[96.0, 96.0, 96.0],
    # the gray images are replicated to 3 channels, no channel order to change
    to_rgb=False)

train_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    # shifts of up to one pixel (each digit keeps its tile); no flips: a flipped digit is another shape
    dict(type='mmpretrain.RandomCrop', crop_size=16, padding=1),
    dict(type='mmpretrain.PackInputs'),
]

test_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline),
    # iteration-based training: MMEngine pauses 2 s each time a DefaultSampler runs out
    sampler=dict(type='InfiniteSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=100,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(type=dataset_type, data_root=data_root, split='val', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
# a width search scores its candidates on the official val partition
search_dataloader = val_dataloader

test_dataloader = dict(val_dataloader, dataset=dict(val_dataloader['dataset'], split='test'))
