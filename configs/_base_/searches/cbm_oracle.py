# Width search on a Channel-Bench-Macro space with the benchmark's table as the oracle: a candidate scores its
# mean CIFAR-10 accuracy (3 trainings from scratch), so search loops are compared on ground truth without a
# supernet. The space's base (cbm-resnet_oracle.py, cbm-mobilenet_oracle.py) adds the model, which only defines
# the width space (7 groups, 4 widths each) and is never trained, and the scorer's space and table.
_base_ = ['../default_runtime.py']
train_cfg = dict(
    scorer=dict(type='mmwidth.ChannelBenchMacroOracle'),
    # a fraction of the largest arch's FLOPs; candidates lie in [0.8, 1] x the limit
    budget=dict(flops='50%', window=0.8),
    max_evaluations=300,
    seed=0)
# MMEngine's runner builds a train_cfg loop only beside a training loader and an optimizer; an oracle search
# scores from its table and uses neither: they name the CIFAR-10 training the table records and are not used
train_dataloader = dict(
    batch_size=256,
    dataset=dict(type='mmpretrain.CIFAR10', data_root='data/cifar10', split='train',
                 pipeline=[dict(type='mmpretrain.PackInputs')]),
    sampler=dict(type='DefaultSampler', shuffle=True))
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))
# BCNetV2's genetic algorithm (top-k 10, mutation probability 0.1, half mutations and half crossovers); with a
# cap of 300 evaluations, populations of 30 give 10 generations instead of 6 (measured over 6 budgets of the
# ResNet table: mean regret 0.017 vs 0.025 with populations of 50). A ridge surrogate fitted to the scored
# candidates picks each generation's 30 children out of 300 bred (ResNet table, 100 evaluations, 10 seeds: mean
# regret 0.014 / 0.019 at 25% / 50% FLOPs against 0.047 / 0.028 without it).
# A leaf: train_cfg = dict(**_base_.cbm_evolution)
cbm_evolution = dict(type='mmwidth.EvolutionSearchLoop', population_size=30, top_k=10, num_mutation=15,
                     num_crossover=15, mutation_prob=0.1, max_generations=40,
                     surrogate=dict(type='mmwidth.RidgeSurrogate', pool=10))
