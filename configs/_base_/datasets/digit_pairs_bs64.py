# Two of scikit-learn's handwritten digits side by side, 16x32, 100 classes (mmwidth.DigitPairs): the embedded
# task on which the scaled-down Channel-Bench-Macro spaces are limited by their width (the ground truth
# benchmarks/data/digit-pairs_cbm-resnet-8-16.json is trained on it). 60000 train, 5000 val, 10000 test pairs;
# the loaders of the digits base with the pairs' dataset, normalisation and crop.
_base_ = ['./digits_bs64.py']
dataset_type = 'mmwidth.DigitPairs'
data_preprocessor = dict(
    num_classes=100,
    # Pixel mean and std of the train split (gray, so the same for the 3 channels); the ground truth's recipe
    # normalises with the same numbers (mmwidth.ground_truth.standalone.PairTensors; a test keeps them equal).
    mean=[76.68, 76.68, 76.68],
    std=[76.98, 76.98, 76.98])

train_pipeline = [
    # shifts of up to 1 pixel; the padding is 0, the digits' background
    dict(type='mmpretrain.RandomCrop', crop_size=(16, 32), padding=1),
    dict(type='mmpretrain.PackInputs'),
]

train_dataloader = dict(dataset=dict(type=dataset_type, pipeline=train_pipeline))
# pairs of digits held out from the train split: score the candidate subnets of a width search
val_dataloader = dict(batch_size=250, dataset=dict(type=dataset_type))
search_dataloader = val_dataloader
test_dataloader = dict(batch_size=250, dataset=dict(type=dataset_type))
