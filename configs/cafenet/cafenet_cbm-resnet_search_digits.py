# Evolutionary search of the cafenet digits supernet (cafenet_cbm-resnet_digits.py) at 50% of its largest subnet's
# FLOPs, scored on the held-out `val` split; a small search (at most 80 candidates) for a CPU:
#   python tools/train.py configs/cafenet/cafenet_cbm-resnet_search_digits.py --cfg-options load_from=SUPERNET.pth
_base_ = ['./cafenet_cbm-resnet_digits.py']
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
