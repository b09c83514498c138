# The evolutionary search of a detector supernet's backbone: half the backbone's FLOPs at the real test size
# (the supernet's width_space.input_shape, 1333x800 on COCO), candidates scored by COCO box mAP on the held-out
# part of the training set (`search_dataloader` / `search_evaluator` of the dataset config), each subnet after
# batch-norm recalibration on 20 training batches. The result reports backbone and whole-detector FLOPs.
_base_ = ['./evolution.py']
search_cfg = dict(
    budget=dict(flops='50%', scope='backbone'),
    scorer=dict(evaluator='search_evaluator', metric='coco/bbox_mAP'))
