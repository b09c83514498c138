"""Evolutionary search over widths (BCNet/BCNetV2's genetic algorithm)."""
from typing import List, Optional

import numpy as np
import torch

from ..registry import LOOPS
from .base_loop import Candidate, WidthSearchLoop
from .prior import fit_width_prior


@LOOPS.register_module()
class EvolutionSearchLoop(WidthSearchLoop):
    """A genetic algorithm inside the budget window (defaults: the BCNetV2 code's).

    Each generation refills the population to ``population_size`` with new candidates, scores them, keeps the
    ``top_k`` best ever seen, and breeds the next population: ``num_mutation`` children copy a random top
    candidate and redraw each group's width with probability ``mutation_prob``; ``num_crossover`` children take
    each group's width from one of two random top candidates. Only children inside the window and never scored
    are kept (at most 10 tries each). New candidates and redrawn widths come from BCNet's prior, fitted from the
    supernet's recorded losses (``use_prior``, when the supernet recorded any), else uniformly. Racing (see
    :class:`SupernetScorer`) stops a candidate that cannot reach the current top-k.
    """

    stopping_settings = WidthSearchLoop.stopping_settings + ('max_generations', )

    def __init__(self, *args, max_generations: int = 40, population_size: int = 50, top_k: int = 10,
                 num_mutation: int = 25, num_crossover: int = 25, mutation_prob: float = 0.1,
                 use_prior: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_generations = max_generations
        self.population_size = population_size
        self.top_k = top_k
        self.num_mutation = num_mutation
        self.num_crossover = num_crossover
        self.mutation_prob = mutation_prob
        self.use_prior = use_prior

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
            population = self.mutate(top, probs) + self.crossover(top)
            self.stage += 1
            self.checkpoint(population=[list(c) for c in population], top=[list(c) for c in top])
        return top[0]

    def _randint(self, high: int) -> int:
        return int(torch.randint(high, (1, ), generator=self.generator))

    def _random(self) -> float:
        return float(torch.rand(1, generator=self.generator))

    def _breed(self, count: int, make) -> List[Candidate]:
        children: List[Candidate] = []
        for _ in range(10 * count):
            if len(children) == count:
                break
            child = make()
            if child not in self.scores and child not in children and self.admits([child])[0]:
                children.append(child)
        return children

    def mutate(self, top: List[Candidate], probs: Optional[List[np.ndarray]]) -> List[Candidate]:

        def redraw(group: int) -> int:
            size = len(self.space.choices[self.space.names[group]])
            weights = torch.ones(size) if probs is None else torch.as_tensor(probs[group])
            return int(torch.multinomial(weights, 1, generator=self.generator))

        def make() -> Candidate:
            parent = top[self._randint(len(top))]
            return tuple(redraw(i) if self._random() < self.mutation_prob else c for i, c in enumerate(parent))

        return self._breed(self.num_mutation, make)

    def crossover(self, top: List[Candidate]) -> List[Candidate]:
        if len(top) < 2:
            return []

        def make() -> Candidate:
            first, second = top[self._randint(len(top))], top[self._randint(len(top))]
            return tuple(a if self._random() < 0.5 else b for a, b in zip(first, second))

        return self._breed(self.num_crossover, make)
