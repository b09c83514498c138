# The evolutionary search of a detector supernet's backbone: half the backbone's FLOPs at the real test size
# (the supernet's width_space.input_shape, 1333x800 on COCO), candidates scored by COCO box mAP on the held-out
# part of the training set (`search_dataloader` / `search_evaluator` of the dataset config). Racing is off: its
# bound holds for a percentage of correctly handled samples, which mAP is not. A leaf config uses it as its loop
# (its supernet base defines train_cfg, which MMEngine forbids a second base to define too):
#   train_cfg = dict(_delete_=True, **_base_.evolution_detection)
evolution_detection = dict(
    type='mmwidth.EvolutionSearchLoop',
    budget=dict(flops='50%', scope='backbone'),
    scorer=dict(type='mmwidth.SupernetScorer', evaluator='search_evaluator', metric='coco/bbox_mAP', racing=None))
