# The evolutionary search with the BCNetV2 code's settings (ALGORITHMS.md 2d/2e): population 50, top-k 10,
# 25 mutations (p = 0.1) and 25 crossovers a generation, 40 generations, candidates inside [0.8, 1] x the FLOPs
# limit. Candidates are scored by their subnets of the trained supernet (BCNet: left and right averaged;
# CafeNet: the best placement) on the dataset base's `search_dataloader` (images held out from training), each
# after batch-norm recalibration on 20 batches of the training loader. A leaf config sets the limit:
# search_cfg = dict(budget=dict(flops=...)).
search_cfg = dict(
    type='mmwidth.EvolutionSearchLoop',
    budget=dict(window=0.8),
    scorer=dict(
        type='mmwidth.SupernetScorer',
        dataloader='search_dataloader',
        evaluator='val_evaluator',
        metric='accuracy/top1',
        calibration_dataloader='train_dataloader',
        calibration_batches=20),
    population_size=50,
    top_k=10,
    num_mutation=25,
    num_crossover=25,
    mutation_prob=0.1,
    max_generations=40)
