# The evolutionary search with the BCNetV2 code's settings (ALGORITHMS.md 2d/2e): population 50, top-k 10,
# 25 mutations (p = 0.1) and 25 crossovers a generation, 40 generations, candidates inside [0.8, 1] x the FLOPs
# limit, scored by the supernet. A leaf config sets the limit: search_cfg = dict(budget=dict(flops=...)).
_base_ = ['./supernet_scorer.py']
search_cfg = dict(
    type='mmwidth.EvolutionSearchLoop',
    budget=dict(window=0.8),
    population_size=50,
    top_k=10,
    num_mutation=25,
    num_crossover=25,
    mutation_prob=0.1,
    max_generations=40)
