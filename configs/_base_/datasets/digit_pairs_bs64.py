# Two of scikit-learn's handwritten digits side by side, 16x32, 100 classes (mmwidth.DigitPairs): the embedded
# task on which the scaled-down Channel-Bench-Macro spaces are limited by their width (the ground truth
# benchmarks/data/digit-pairs_cbm-resnet-8-16.json is trained on it). 60000 train, 5000 val, 10000 test pairs.
dataset_type = 'mmwidth.DigitPairs'
image_size = 16
data_preprocessor = dict(
    num_classes=100,
    # Pixel mean and std of the train split (gray, so the same for the 3 channels); the ground truth's recipe
    # normalises with the same numbers (mmwidth.ground_truth.standalone.PairTensors; a test keeps them equal).
    mean=[76.68, 76.68, 76.68],
    std=[76.98, 76.98, 76.98],
    to_rgb=False)

train_pipeline = [
    # shifts of up to 1 pixel; the padding is 0, the digits' background
    dict(type='mmpretrain.RandomCrop', crop_size=(image_size, 2 * image_size), padding=1),
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
    sampler=dict(type='InfiniteSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=250,
    num_workers=0,
    persistent_workers=False,
    # pairs of digits held out from the train split: scores the candidate subnets of a width search
    dataset=dict(type=dataset_type, split='val', image_size=image_size, pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
search_dataloader = val_dataloader

test_dataloader = dict(
    batch_size=250,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(type=dataset_type, split='test', image_size=image_size, pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = val_evaluator
