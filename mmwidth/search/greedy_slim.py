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

    def build_budget(self, budget: dict) -> Budget:
        lists = {name: limits for name, limits in budget.items()
                 if name in Budget.RESOURCES and isinstance(limits, (list, tuple))}
        if len(lists) > 1 or any(not limits for limits in lists.values()):
            raise ConfigError(f'GreedySlimLoop takes a non-empty list of targets for one resource only, got '
                              f'{dict(lists)}')
        budget = dict(dict(window=0), **budget)  # the window does not apply
        targets = [dict(budget, **{name: limit}) for name, limits in lists.items() for limit in limits] or [budget]
        self.budgets = sorted((Budget(self.space, **target) for target in targets),
                              key=lambda target: [-limit for limit in target.limits.values()])
        self.results: List[dict] = []
        return self.budgets[-1]  # the main result: the smallest target

    def expected_evaluations(self) -> int:
        """At most one step per bin of every group, each scoring one option per group."""
        return len(self.space.names) * sum(len(choices) - 1 for choices in self.space.choices.values())

    def race_threshold(self) -> Optional[float]:
        """The best option of this step so far (an option that cannot beat it is not taken)."""
        return max((self.scores[option]['score'] for option in self.dataloader if option in self.scores),
                   default=None)

    def search(self, state: Optional[dict]) -> Candidate:
        current = tuple(state['current']) if state else tuple(len(self.space.choices[n]) - 1 for n in self.space.names)
        self.results = list(state.get('results', [])) if state else []
        for budget in self.budgets[len(self.results):]:
            while not budget.admits(self.widths(current), window=False):
                options = [current[:i] + (c - 1, ) + current[i + 1:] for i, c in enumerate(current) if c > 0]
                self.begin_stage(options)
                for option in options:
                    self.evaluate(option)
                current = max(options, key=lambda o: (self.scores[o]['score'], -options.index(o)))
                self.stage += 1
                self.checkpoint(current=list(current), results=self.results)
            self.begin_stage([current])
            self.evaluate(current)  # the largest subnet when it meets the first target already
            entry = self.scores[current]
            self.results.append(dict(target=budget.limits, subnet=self.widths(current), flops=entry['flops'],
                                     params=entry['params'], score=entry['score']))
            self.checkpoint(current=list(current), results=self.results)
        return current

    def extra_results(self) -> dict:
        return dict(results=self.results)
