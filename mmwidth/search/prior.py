"""BCNet's prior over width choices, fitted from the losses recorded while training the supernet."""
from typing import List

import numpy as np
import torch

from .budget import Budget


def fit_width_prior(losses: np.ndarray, budget: Budget, steps: int = 2000, lr: float = 0.05,
                    penalty: float = 1000.0, floor: float = 0.1) -> List[np.ndarray]:
    """A categorical distribution over each group's choices that prefers low recorded loss at the budget's limit.

    Minimises ``mean_l sum_c p_l(c) E[l, c] + penalty * (F(p) / F_target - 1)^2`` over softmax logits, where
    ``E[l, c]`` is the recorded loss of group ``l`` at choice ``c`` and ``F(p)`` the expected cost of a subnet
    drawn from the prior, counted as the budget counts it: its FLOPs limit (else its params limit, else its latency
    limit, through the latency table's quadratic fit) over the layers of its scope (e.g. a detector's backbone),
    so that prior and budget agree on the scale. This follows BCNet's
    prior (ALGORITHMS.md 2d) with its fixes: ``E`` is indexed by the real choice (no shift by the minimum width),
    ``F(p)`` counts every (scoped) layer exactly under independent groups (the estimator's quadratic form, with
    the variance of each width on the diagonal) and the target is the budget itself (no empirical 0.4 factor).
    Choices never trained get the worst recorded loss plus one. ``floor`` mixes in that much of the uniform
    distribution (inside the fit, so the mixture still meets the target), so every width stays reachable by the
    initial population and by mutations.
    """
    space = budget.space
    form, target = budget.prior_form()
    names = space.names
    sizes = [len(space.choices[name]) for name in names]
    finite = np.isfinite(losses)
    fill = (losses[finite].max() + 1.0) if finite.any() else 1.0
    table = torch.as_tensor(np.where(finite, losses, fill), dtype=torch.float64)
    values = [torch.as_tensor(space.choices[name], dtype=torch.float64) for name in names]
    quadratic = torch.as_tensor(form, dtype=torch.float64)
    logits = [torch.zeros(size, dtype=torch.float64, requires_grad=True) for size in sizes]
    optimizer = torch.optim.Adam(logits, lr=lr)

    def mixed(logit: torch.Tensor) -> torch.Tensor:
        return (1 - floor) * torch.softmax(logit, 0) + floor / len(logit)

    for _ in range(steps):
        probs = [mixed(logit) for logit in logits]
        mean = torch.stack([(p * v).sum() for p, v in zip(probs, values)])
        variance = torch.stack([(p * v**2).sum() for p, v in zip(probs, values)]) - mean**2
        vector = torch.cat([mean.new_ones(1), mean])
        cost = vector @ quadratic @ vector + (torch.diagonal(quadratic)[1:] * variance).sum()
        expected_loss = torch.stack([(p * table[i, :len(p)]).sum() for i, p in enumerate(probs)]).mean()
        objective = expected_loss + penalty * (cost / target - 1)**2
        optimizer.zero_grad()
        objective.backward()
        optimizer.step()
    return [mixed(logit).detach().numpy() for logit in logits]
