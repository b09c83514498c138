# How CelebA-style attribute sets are scored: the papers' mean attribute accuracy (what a width search maximises,
# `attributes/mean_accuracy`), with mmpretrain's mAP and macro precision / recall / F1 at 0.5 alongside; the
# final report (test_evaluator) adds the accuracy of every attribute to the log.
val_evaluator = [
    dict(type='mmwidth.AttributeAccuracy'),
    dict(type='mmpretrain.AveragePrecision'),
    dict(type='mmpretrain.MultiLabelMetric', thr=0.5),
]
test_evaluator = [dict(val_evaluator[0], log_table=True)] + val_evaluator[1:]
