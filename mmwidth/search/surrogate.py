"""A surrogate of the search's score, fitted to the candidates scored so far, that screens offspring before they
are scored."""
from typing import List, Sequence

import numpy as np

from ..registry import TASK_UTILS


@TASK_UTILS.register_module()
class RidgeSurrogate:
    """Ridge regression of the score on each group's width choice, one-hot (a score additive over the groups).

    The penalty is chosen at every fit by the closed-form leave-one-out error, so the fit follows the number of
    candidates scored and the noise of their scores without a setting to tune. Only numpy; nothing of it is
    saved: a resumed search refits it from the scored candidates of its state.

    Args:
        sizes: the number of choices of each group, in the space's group order (the loop gives it).
        pool: offspring bred per offspring scored: the loop breeds ``pool`` times its children and scores the
            ones predicted best.
        alphas: the penalties the leave-one-out error chooses from.
    """

    def __init__(self, sizes: Sequence[int], pool: int = 10,
                 alphas: Sequence[float] = tuple(10.0**k for k in range(-3, 4))):
        self.offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self.features = int(np.sum(sizes))
        self.pool = pool
        self.alphas = tuple(alphas)
        self.weights = np.zeros(self.features)
        self.intercept = 0.0
        self.alpha = None

    def one_hot(self, candidates: Sequence[Sequence[int]]) -> np.ndarray:
        index = np.asarray(candidates, dtype=np.int64).reshape(len(candidates), len(self.offsets))
        matrix = np.zeros((len(index), self.features))
        np.put_along_axis(matrix, index + self.offsets, 1.0, axis=1)
        return matrix

    def fit(self, candidates: Sequence[Sequence[int]], scores: Sequence[float]) -> None:
        """Fits the candidates' scores (the intercept, their mean, unpenalised)."""
        features, scores = self.one_hot(candidates), np.asarray(scores, dtype=np.float64)
        self.intercept = float(scores.mean())
        means = features.mean(axis=0)
        u, s, vt = np.linalg.svd(features - means, full_matrices=False)
        projected = u.T @ (scores - self.intercept)
        best = np.inf
        for alpha in self.alphas:
            shrink = s**2 / (s**2 + alpha)
            residuals = scores - self.intercept - u @ (shrink * projected)
            leverage = (u**2) @ shrink + 1.0 / len(scores)
            error = float(np.mean((residuals / np.maximum(1.0 - leverage, 1e-9))**2))
            if error < best:
                best, self.alpha = error, alpha
                self.weights = vt.T @ (s / (s**2 + alpha) * projected)
        self.intercept -= float(means @ self.weights)

    def predict(self, candidates: Sequence[Sequence[int]]) -> np.ndarray:
        return self.one_hot(candidates) @ self.weights + self.intercept

    def screen(self, candidates: Sequence[Sequence[int]], count: int) -> List[Sequence[int]]:
        """The ``count`` candidates predicted best, best first (ties in the given order)."""
        order = np.argsort(-self.predict(candidates), kind='stable')
        return [candidates[i] for i in order[:count]]
