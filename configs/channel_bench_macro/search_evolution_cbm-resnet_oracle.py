_base_ = ['../_base_/searches/cbm-resnet_oracle.py']
search_cfg = dict(type='mmwidth.EvolutionSearchLoop', population_size=50, top_k=10, num_mutation=25,
                  num_crossover=25, mutation_prob=0.1, max_generations=40)
