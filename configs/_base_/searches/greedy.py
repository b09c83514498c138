# AutoSlim's greedy slimming (ALGORITHMS.md 1d): from the largest subnet, keep removing the bin whose removal
# costs the least accuracy until the FLOPs limit is met. Candidates are scored by their left subnets on the
# dataset base's `search_dataloader` after batch-norm recalibration on 20 training batches. A leaf config sets
# the limit: search_cfg = dict(budget=dict(flops=...)).
search_cfg = dict(
    type='mmwidth.GreedySlimLoop',
    budget=dict(window=0),
    scorer=dict(
        type='mmwidth.SupernetScorer',
        dataloader='search_dataloader',
        evaluator='val_evaluator',
        metric='accuracy/top1',
        calibration_dataloader='train_dataloader',
        calibration_batches=20))
