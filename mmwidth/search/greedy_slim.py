"""AutoSlim's greedy slimming."""
from typing import Optional

from ..registry import LOOPS
from .base_loop import Candidate, WidthSearchLoop


@LOOPS.register_module()
class GreedySlimLoop(WidthSearchLoop):
    """Starts from the largest subnet and, while it exceeds the budget, scores every one-bin reduction (one group
    one choice narrower) and keeps the best; ties go to the first group. The window does not apply: slimming
    stops as soon as the limit is met. ``max_evaluations`` is not used (the cost is fixed by the space)."""

    def search(self, state: Optional[dict]) -> Candidate:
        current = tuple(state['current']) if state else tuple(len(self.space.choices[n]) - 1 for n in self.space.names)
        while not self.admits([current], window=False)[0]:
            options = [current[:i] + (c - 1, ) + current[i + 1:] for i, c in enumerate(current) if c > 0]
            for option in options:
                self.evaluate(option)
            current = max(options, key=lambda o: (self.scores[o]['score'], -options.index(o)))
            self.stage += 1
            self.checkpoint(current=list(current))
        return current
