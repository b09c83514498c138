# How a search scores a candidate from a trained supernet: its subnets (BCNet: left and right averaged; CafeNet:
# the best placement; AutoSlim: left) on the dataset base's `search_dataloader` (images held out from
# training), each after batch-norm recalibration on 20 batches of the training loader.
search_cfg = dict(
    scorer=dict(
        type='mmwidth.SupernetScorer',
        dataloader='search_dataloader',
        evaluator='val_evaluator',
        metric='accuracy/top1',
        calibration_dataloader='train_dataloader',
        calibration_batches=20))
