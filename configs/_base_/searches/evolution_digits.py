# The evolutionary search, small enough for a digits supernet on a CPU (a few minutes): half the largest
# subnet's FLOPs, recalibration on 10 batches, 5 generations of 16 candidates (80 at most). A leaf config uses it
# as its loop (its supernet base defines train_cfg, which MMEngine forbids a second base to define too):
#   train_cfg = dict(_delete_=True, **_base_.evolution_digits)
evolution_digits = dict(
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
