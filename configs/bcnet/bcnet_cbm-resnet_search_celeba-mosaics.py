# Evolutionary search of the bcnet digit-mosaics supernet (bcnet_cbm-resnet_celeba-mosaics.py) at 50% of its
# largest subnet's FLOPs, maximising the mean attribute accuracy on the `val` partition (at most 48 candidates):
#   python tools/train.py configs/bcnet/bcnet_cbm-resnet_search_celeba-mosaics.py --cfg-options load_from=SUPERNET.pth
_base_ = ['./bcnet_cbm-resnet_celeba-mosaics.py']
train_cfg = dict(
    _delete_=True,
    type='mmwidth.EvolutionSearchLoop',
    budget=dict(flops='50%'),
    scorer=dict(type='mmwidth.SupernetScorer', calibration_batches=5, metric='attributes/mean_accuracy'),
    population_size=16,
    top_k=6,
    num_mutation=8,
    num_crossover=8,
    mutation_prob=0.2,
    max_generations=3,
    max_evaluations=48)
