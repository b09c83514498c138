"""Evolutionary search over widths (BCNet/BCNetV2's genetic algorithm)."""
from typing import List, Optional, Sequence

import numpy as np
import torch

from ..registry import LOOPS, TASK_UTILS
from .base_loop import Candidate, WidthSearchLoop
from .prior import fit_width_prior


@LOOPS.register_module()
class EvolutionSearchLoop(WidthSearchLoop):
    """A genetic algorithm inside the budget window (defaults: the BCNetV2 code's).

    Each generation refills the population to ``population_size`` with new candidates, scores them, keeps the
    ``top_k`` best ever seen, and breeds the next population: ``num_mutation`` children copy a random top
    candidate and redraw each group's width with probability ``mutation_prob``; ``num_crossover`` children take
    each group's width from one of two random top candidates. Only distinct children inside the window, never
    scored, are kept (at most 10 tries each). New candidates and redrawn widths come from BCNet's prior, fitted
    from the supernet's recorded losses (``use_prior``, when the supernet recorded any), else uniformly. Racing
    (see :class:`SupernetScorer`) stops a candidate that cannot reach the current top-k.

    With a ``surrogate`` (e.g. ``dict(type='mmwidth.RidgeSurrogate', pool=10)``, see :class:`RidgeSurrogate`)
    each generation breeds ``pool`` times as many children, fits the surrogate to every candidate scored so far
    and keeps the ``num_mutation + num_crossover`` children it predicts best, best first: the evaluations go to
    the promising ones. The surrogate is refitted from the scored candidates, so a resumed search screens as an
    uninterrupted one.
    """

    stopping_settings = WidthSearchLoop.stopping_settings + ('max_generations', )

    def __init__(self, *args, max_generations: int = 40, population_size: int = 50, top_k: int = 10,
                 num_mutation: int = 25, num_crossover: int = 25, mutation_prob: float = 0.1,
                 use_prior: bool = True, surrogate: Optional[dict] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_generations = max_generations
        self.population_size = population_size
        self.top_k = top_k
        self.num_mutation = num_mutation
        self.num_crossover = num_crossover
        self.mutation_prob = mutation_prob
        self.use_prior = use_prior
        sizes = [len(self.space.choices[name]) for name in self.space.names]
        self.surrogate = None if surrogate is None else TASK_UTILS.build(surrogate, default_args=dict(sizes=sizes))

    @property
    def max_epochs(self) -> int:
        return self.max_generations

    def expected_evaluations(self) -> int:
        return self.max_generations * self.population_size

    def race_threshold(self) -> Optional[float]:
        scores = sorted((entry['score'] for entry in self.history), reverse=True)
        return scores[self.top_k - 1] if len(scores) >= self.top_k else None

    def prior(self) -> Optional[List[np.ndarray]]:
        losses = self.subject.recorded_losses
        if not self.use_prior or losses is None:
            return None
        if not np.isfinite(losses).any():
            self.runner.logger.warning('the supernet recorded no losses (an untrained supernet?): the initial '
                                       'population is drawn uniformly, without the prior')
            return None
        prior = fit_width_prior(losses, self.budget)
        self.runner.logger.info('initial population from the prior fitted to the supernet\'s recorded losses')
        return prior

    def search(self, state: Optional[dict]) -> Candidate:
        probs = self.prior()
        population = [tuple(c) for c in state['population']] if state else []
        top: List[Candidate] = [tuple(c) for c in state['top']] if state else []
        while self.stage < self.max_generations and not self.done():
            population += self.sample(self.population_size - len(population), probs, exclude=population)
            self.begin_stage(population)
            for candidate in population:
                if self.done():
                    break
                self.evaluate(candidate)
            scored = [c for c in population if c in self.scores]
            top = sorted(set(top) | set(scored), key=lambda c: (-self.scores[c]['score'], c))[:self.top_k]
            population = self.offspring(top, probs)
            self.stage += 1
            self.checkpoint(population=[list(c) for c in population], top=[list(c) for c in top])
        return top[0]

    def _randint(self, high: int) -> int:
        return int(torch.randint(high, (1, ), generator=self.generator))

    def _random(self) -> float:
        return float(torch.rand(1, generator=self.generator))

    def _breed(self, count: int, make, exclude: Sequence[Candidate] = ()) -> List[Candidate]:
        """Up to ``count`` distinct children that ``make`` draws inside the window, none scored or in
        ``exclude``."""
        children: List[Candidate] = []
        taken = set(exclude)
        for _ in range(10 * count):
            if len(children) == count:
                break
            child = make()
            if child not in self.scores and child not in taken and self.admits([child])[0]:
                taken.add(child)
                children.append(child)
        return children

    def offspring(self, top: List[Candidate], probs: Optional[List[np.ndarray]]) -> List[Candidate]:
        """The next population: the children of the top, or those the surrogate predicts best of ``pool`` times
        as many."""
        pool = 1 if self.surrogate is None else self.surrogate.pool
        mutations = self.mutate(top, probs, pool * self.num_mutation)
        children = mutations + self.crossover(top, pool * self.num_crossover, exclude=mutations)
        if self.surrogate is None:
            return children
        self.surrogate.fit([tuple(e['candidate']) for e in self.history], [e['score'] for e in self.history])
        return self.surrogate.screen(children, self.num_mutation + self.num_crossover)

    def mutate(self, top: List[Candidate], probs: Optional[List[np.ndarray]], count: int) -> List[Candidate]:

        def redraw(group: int) -> int:
            size = len(self.space.choices[self.space.names[group]])
            weights = torch.ones(size) if probs is None else torch.as_tensor(probs[group])
            return int(torch.multinomial(weights, 1, generator=self.generator))

        def make() -> Candidate:
            parent = top[self._randint(len(top))]
            return tuple(redraw(i) if self._random() < self.mutation_prob else c for i, c in enumerate(parent))

        return self._breed(count, make)

    def crossover(self, top: List[Candidate], count: int, exclude: Sequence[Candidate] = ()) -> List[Candidate]:
        if len(top) < 2:
            return []

        def make() -> Candidate:
            first, second = top[self._randint(len(top))], top[self._randint(len(top))]
            return tuple(a if self._random() < 0.5 else b for a, b in zip(first, second))

        return self._breed(count, make, exclude)
