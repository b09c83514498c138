# AutoSlim's greedy slimming (ALGORITHMS.md 1d): from the largest subnet, keep removing the bin whose removal
# costs the least accuracy until the FLOPs limit is met, each step scored by the supernet. A leaf config sets the
# limit: search_cfg = dict(budget=dict(flops=...)).
_base_ = ['./supernet_scorer.py']
search_cfg = dict(type='mmwidth.GreedySlimLoop', budget=dict(window=0))
# Several targets in one run (AutoSlim), each continuing from the last: budget=dict(flops=[500e6, 300e6, 200e6])
