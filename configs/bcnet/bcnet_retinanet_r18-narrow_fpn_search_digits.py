# Evolutionary search of the BCNet digits RetinaNet supernet's backbone (bcnet_retinanet_r18-narrow_fpn_digits.py)
# at 50% of the backbone's FLOPs, scored by COCO box mAP on the images held out of the digits detection set's `train`:
#   python tools/train.py configs/bcnet/bcnet_retinanet_r18-narrow_fpn_search_digits.py \
#       --cfg-options load_from=SUPERNET.pth
_base_ = ['./bcnet_retinanet_r18-narrow_fpn_digits.py']
train_cfg = dict(
    _delete_=True,
    type='mmwidth.EvolutionSearchLoop',
    budget=dict(flops='50%', scope='backbone'),
    scorer=dict(type='mmwidth.SupernetScorer', evaluator='search_evaluator', metric='coco/bbox_mAP', racing=None,
        calibration_batches=8),
    population_size=12,
    top_k=4,
    num_mutation=6,
    num_crossover=6,
    mutation_prob=0.2,
    max_generations=4,
    max_evaluations=40)
