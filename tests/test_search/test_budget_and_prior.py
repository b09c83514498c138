"""Budgets (limits, window, feasibility, scope) and BCNet's prior over widths."""
import numpy as np
import pytest
import torch
from conftest import build_package_model
from torch import nn

from mmwidth.ground_truth.cbm_table import cbm_width_space
from mmwidth.search.budget import Budget, BudgetError
from mmwidth.search.prior import fit_width_prior
from mmwidth.space.width_space import WidthSpace


@pytest.fixture(scope='module')
def space():
    return cbm_width_space('resnet')


def test_limits_and_window(space):
    largest = space.flops(space.largest())
    budget = Budget(space, flops='50%', window=0.8)
    assert budget.limits['flops'] == pytest.approx(0.5 * largest)
    subnet = space.smallest()
    assert budget.admits(subnet, window=False) and not budget.admits(subnet)  # below the window
    assert Budget(space, flops=0.5 * largest).limits == budget.limits
    params = Budget(space, params=5e6, window=0)
    assert params.admits(space.smallest()) and not params.admits(space.largest())


@pytest.mark.parametrize('options,message', [
    (dict(flops='1%'), 'no subnet meets the budget: the smallest subnet has 90,096,896 flops'),
    (dict(flops='100%', window=1.5), 'window must lie in'),
    (dict(flops='200%', window=0.9), 'no subnet lies in the budget window'),
    (dict(flops='half'), 'neither a number nor a percentage'),
    (dict(), 'needs a FLOPs, params or latency limit'),
])
def test_budget_errors(space, options, message):
    with pytest.raises(BudgetError, match=message):
        Budget(space, **options)


def test_backbone_scope_of_a_detector():
    space = WidthSpace.from_model(build_package_model('retinanet'), (3, 128, 128))
    # the head's FLOPs do not shrink: half the whole model is out of reach, half the backbone is not
    with pytest.raises(BudgetError, match='no subnet meets the budget'):
        Budget(space, flops='50%')
    whole, backbone = Budget(space, flops='90%'), Budget(space, flops='50%', scope='backbone')
    assert backbone.costs(space.full())['flops'] < whole.costs(space.full())['flops']
    assert backbone.costs(space.full())['params'] == 23_508_032  # ResNet-50 without its classifier
    assert 'backbone' in backbone.describe()


def test_prior_prefers_low_loss_widths_at_the_target(space):
    # group 0 loses much when narrow, the others do not care: the prior should keep group 0 wide
    losses = np.full((7, 4), 1.0)
    losses[0] = [3.0, 2.0, 1.0, 0.5]
    target = 0.5 * space.flops(space.largest())
    prior = fit_width_prior(losses, Budget(space, flops=target))
    assert prior[0].argmax() == 3 and prior[0][3] > 0.5
    rng = np.random.default_rng(0)
    draws = np.stack([rng.choice(4, 20000, p=p) for p in prior], axis=1)  # groups drawn independently
    widths = np.array([[space.choices[n][c] for n, c in zip(space.names, row)] for row in draws])
    mean_flops = space.estimator.batch(widths)['flops'].mean()
    assert mean_flops == pytest.approx(target, rel=0.02)  # the expected FLOPs meet the target
    assert all((p > 0.1 / 4 - 1e-9).all() for p in prior)  # every width stays reachable


class SmallDetector(nn.Module):
    """A searched two-conv backbone under a fixed head that costs far more FLOPs than the backbone (as a detector's
    head and neck do)."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                                      nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU())
        self.head = nn.Sequential(nn.Conv2d(32, 128, 3, padding=1), nn.ReLU(), nn.Conv2d(128, 128, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


def test_prior_of_a_scoped_budget_is_fitted_on_the_scoped_costs():
    space = WidthSpace.from_model(SmallDetector(), (3, 16, 16), scope=['backbone'], bins=8)
    budget = Budget(space, flops='50%', scope='backbone', window=0.8)
    assert budget.limits['flops'] < space.flops(space.smallest())  # the whole model's FLOPs are out of scale
    losses = np.stack([np.linspace(2.0, 1.0, len(space.choices[name])) for name in space.names])  # wider is better
    prior = fit_width_prior(losses, budget, steps=500)
    expected = {name: float(np.dot(p, space.choices[name])) for name, p in zip(space.names, prior)}
    smallest = space.smallest()
    assert all(expected[name] > 2 * smallest[name] for name in space.names), expected  # not collapsed
    rng = np.random.default_rng(0)
    draws = np.stack([rng.choice(len(p), 5000, p=p) for p in prior], axis=1)
    widths = np.array([[space.choices[n][c] for n, c in zip(space.names, row)] for row in draws])
    mean_flops = budget.estimator.batch(widths)['flops'].mean()
    assert mean_flops == pytest.approx(budget.limits['flops'], rel=0.05)  # on the budget's scale
