"""Random search: the baseline every width-search paper compares against."""
from typing import Optional

from ..registry import LOOPS
from ..utils.errors import ConfigError
from .base_loop import Candidate, WidthSearchLoop


@LOOPS.register_module()
class RandomSearchLoop(WidthSearchLoop):
    """Scores ``max_evaluations`` distinct candidates drawn uniformly inside the budget window and keeps the
    best. ``batch_size`` candidates are scored between two checkpoints of the search state."""

    def __init__(self, *args, batch_size: int = 10, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.max_evaluations:
            raise ConfigError('RandomSearchLoop needs max_evaluations')
        self.batch_size = batch_size

    def expected_evaluations(self) -> int:
        return self.max_evaluations

    def search(self, state: Optional[dict]) -> Candidate:
        while not self.done():
            candidates = self.sample(min(self.batch_size, self.max_evaluations - len(self.scores)))
            if not candidates:
                self.runner.logger.warning('no unscored candidate is left in the budget window')
                break
            self.begin_stage(candidates)
            for candidate in candidates:
                self.evaluate(candidate)
            self.stage += 1
            self.checkpoint()
        return self.best(list(self.scores))
