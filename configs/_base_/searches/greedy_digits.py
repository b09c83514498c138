# AutoSlim's greedy slimming of a digits supernet on a CPU: from the largest subnet down to half its FLOPs, each
# step scored after recalibration on 10 batches (as the digits' evolutionary search). A leaf config uses it as its
# loop (its supernet base defines train_cfg, which MMEngine forbids a second base to define too):
#   train_cfg = dict(_delete_=True, **_base_.greedy_digits)
greedy_digits = dict(
    type='mmwidth.GreedySlimLoop',
    budget=dict(flops='50%'),
    scorer=dict(type='mmwidth.SupernetScorer', calibration_batches=10))
