"""AutoSlim's greedy slimming, to one or several targets in one run."""
from typing import List, Optional

from ..registry import LOOPS
from ..utils.errors import ConfigError
from .base_loop import Candidate, WidthSearchLoop
from .budget import Budget


@LOOPS.register_module()
class GreedySlimLoop(WidthSearchLoop):
    """Starts from the largest subnet and, while it exceeds the budget, scores every one-bin reduction (one group
    one choice narrower) and keeps the best; ties go to the first group. The window does not apply: slimming
    stops as soon as the limit is met. ``max_evaluations`` is not used (the cost is fixed by the space).

    Several targets, as AutoSlim slims one supernet to all of its models: a list as the limit of one resource,
    e.g. ``budget=dict(flops=[500e6, 300e6, 200e6])``. They are met from the largest to the smallest, each
    continuing from the previous target's subnet. ``search_result.json`` lists every target's subnet in
    ``results`` (``target``, ``subnet``, ``flops``, ``params``, ``score``); its ``subnet`` (and ``subnet.json``)
    is the smallest target's.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        lists = {name: limits for name, limits in self.budget_cfg.items()
                 if name in Budget.RESOURCES and isinstance(limits, (list, tuple))}
        if len(lists) > 1 or any(not limits for limits in lists.values()):
            raise ConfigError(f'GreedySlimLoop takes a non-empty list of targets for one resource only, got '
                              f'{dict(lists)}')
        self.target_cfgs = [dict(self.budget_cfg, **{name: limit}) for name, limits in lists.items()
                            for limit in limits] or [dict(self.budget_cfg)]
        self.budget_cfg = self.target_cfgs[-1]  # checked by the loop's set-up; replaced by the smallest below
        self.results: List[dict] = []

    def search(self, state: Optional[dict]) -> Candidate:
        budgets = sorted((Budget(self.space, **cfg) for cfg in self.target_cfgs),
                         key=lambda budget: [-limit for limit in budget.limits.values()])
        self.budget = budgets[-1]  # the main result: the smallest target
        current = tuple(state['current']) if state else tuple(len(self.space.choices[n]) - 1 for n in self.space.names)
        self.results = list(state.get('results', [])) if state else []
        for budget in budgets[len(self.results):]:
            while not budget.admits(self.widths(current), window=False):
                options = [current[:i] + (c - 1, ) + current[i + 1:] for i, c in enumerate(current) if c > 0]
                for option in options:
                    self.evaluate(option)
                current = max(options, key=lambda o: (self.scores[o]['score'], -options.index(o)))
                self.stage += 1
                self.checkpoint(current=list(current), results=self.results)
            self.evaluate(current)  # the largest subnet when it meets the first target already
            entry = self.scores[current]
            self.results.append(dict(target=budget.limits, subnet=self.widths(current), flops=entry['flops'],
                                     params=entry['params'], score=entry['score']))
            self.checkpoint(current=list(current), results=self.results)
        return current

    def extra_results(self) -> dict:
        return dict(results=self.results)
