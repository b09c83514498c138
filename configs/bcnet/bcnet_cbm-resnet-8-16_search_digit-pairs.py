# Evolutionary search of the bcnet digit-pairs supernet (bcnet_cbm-resnet-8-16_digit-pairs.py) at 50% of its largest
# subnet's FLOPs, scored on the held-out `val` pairs (5 generations of 16 candidates, at most 80):
#   python tools/train.py configs/bcnet/bcnet_cbm-resnet-8-16_search_digit-pairs.py --cfg-options load_from=SUPERNET.pth
_base_ = ['./bcnet_cbm-resnet-8-16_digit-pairs.py']
train_cfg = dict(
    _delete_=True,
    type='mmwidth.EvolutionSearchLoop',
    budget=dict(flops='50%'),
    scorer=dict(type='mmwidth.SupernetScorer', calibration_batches=10),
    population_size=16,
    top_k=6,
    num_mutation=8,
    num_crossover=8,
    mutation_prob=0.2,
    max_generations=5,
    max_evaluations=80)
