"""The ridge surrogate that screens an evolution's offspring: it learns an additive score, its penalty follows the
noise by leave-one-out error, and screening keeps the predicted best, best first."""
import itertools

import numpy as np
import pytest

from mmwidth.registry import TASK_UTILS
from mmwidth.search.surrogate import RidgeSurrogate

SIZES = [3, 5, 2, 4]  # groups of unequal sizes, so that a wrong offset of the one-hot columns shows


@pytest.fixture
def space():
    rng = np.random.default_rng(0)
    effects = [rng.normal(size=size) for size in SIZES]
    candidates = [tuple(c) for c in itertools.product(*(range(size) for size in SIZES))]

    def score(candidate):
        return sum(effect[c] for effect, c in zip(effects, candidate))

    return candidates, score, rng


def test_one_hot_sets_one_column_per_group():
    surrogate = RidgeSurrogate(SIZES)
    matrix = surrogate.one_hot([(2, 0, 1, 3), (0, 4, 0, 0)])
    assert matrix.shape == (2, sum(SIZES)) and (matrix.sum(axis=1) == len(SIZES)).all()
    assert np.flatnonzero(matrix[0]).tolist() == [2, 3, 9, 13]
    assert np.flatnonzero(matrix[1]).tolist() == [0, 7, 8, 10]


def test_an_additive_score_is_ranked_exactly_from_a_few_candidates(space):
    candidates, score, rng = space
    seen = [candidates[i] for i in rng.choice(len(candidates), 30, replace=False)]
    surrogate = TASK_UTILS.build(dict(type='mmwidth.RidgeSurrogate', pool=4), default_args=dict(sizes=SIZES))
    surrogate.fit(seen, [score(c) for c in seen])
    assert surrogate.alpha == min(surrogate.alphas)  # noise-free: the least penalty predicts best
    truth = np.array([score(c) for c in candidates])
    assert np.abs(surrogate.predict(candidates) - truth).max() < 0.01
    assert np.array_equal(np.argsort(-surrogate.predict(candidates)), np.argsort(-truth))


def test_noise_is_met_with_a_larger_penalty(space):
    candidates, score, rng = space
    seen = [candidates[i] for i in rng.choice(len(candidates), 30, replace=False)]
    surrogate = RidgeSurrogate(SIZES)
    surrogate.fit(seen, rng.normal(size=len(seen)))  # nothing to learn
    assert surrogate.alpha >= 100  # the mean, nearly: the least penalties would fit the noise
    assert np.ptp(surrogate.predict(candidates)) < 0.5


def test_screening_keeps_the_predicted_best_best_first(space):
    candidates, score, rng = space
    surrogate = RidgeSurrogate(SIZES)
    surrogate.fit(candidates, [score(c) for c in candidates])
    offspring = [candidates[i] for i in rng.choice(len(candidates), 40, replace=False)]
    kept = surrogate.screen(offspring, 5)
    assert kept == sorted(offspring, key=score, reverse=True)[:5]
    # ties keep the offspring's order; fewer offspring than asked for: all of them
    surrogate.fit(candidates, np.zeros(len(candidates)))
    assert surrogate.screen(offspring, 5) == offspring[:5]
    assert surrogate.screen(offspring[:3], 5) == offspring[:3]
