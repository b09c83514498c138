"""Resource budgets of a width search: limits on FLOPs and params, and the window candidates must fall in."""
import math
from typing import Dict, Optional, Union

import numpy as np

from ..space.width_space import Subnet, WidthSpace
from ..utils.errors import WidthSearchError

Limit = Union[None, int, float, str]


class BudgetError(WidthSearchError, ValueError):
    """A budget that is malformed or that no subnet of the space can meet."""


class Budget:
    """Limits on FLOPs and/or params of a subnet, with a lower window.

    A limit is absolute (``330e6``) or a percentage of the largest subnet (``'50%'``). Candidates of an
    evolutionary or random search must lie in ``[window * limit, limit]`` for every limited resource, which keeps
    the search where the best subnets are (the V2 code uses ``window=0.8``); ``window=0`` admits everything
    under the limit. ``scope`` counts only the layers under one module prefix (e.g. ``'backbone'`` of a
    detector); by default the whole model.
    """

    RESOURCES = ('flops', 'params')
    OPTIONS = RESOURCES + ('window', 'scope')

    def __init__(self, space: WidthSpace, flops: Limit = None, params: Limit = None, window: float = 0.8,
                 scope: Optional[str] = None):
        if flops is None and params is None:
            raise BudgetError('a budget needs a FLOPs or a params limit, e.g. budget=dict(flops="50%")')
        if not 0 <= window <= 1:
            raise BudgetError(f'the budget window must lie in [0, 1], got {window}')
        self.space = space
        self.window = window
        self.scope = scope
        self.estimator = space.estimator if scope is None else space.scoped_estimator(scope)
        largest = self.costs(space.largest())
        self.limits: Dict[str, float] = {}
        for name, limit in zip(self.RESOURCES, (flops, params)):
            if limit is not None:
                self.limits[name] = self._absolute(name, limit, largest[name])
        self._check_feasible()

    @staticmethod
    def _absolute(name: str, limit: Limit, largest: int) -> float:
        if isinstance(limit, str):
            text = limit.strip()
            try:
                value = float(text.rstrip('%')) / 100 * largest if text.endswith('%') else float(text)
            except ValueError:
                raise BudgetError(f'{name} limit "{limit}" is neither a number nor a percentage') from None
        else:
            value = float(limit)
        if not 0 < value < math.inf:  # also refuses nan
            raise BudgetError(f'the {name} limit must be a positive finite number, got {limit}')
        return value

    def costs(self, subnet: Subnet) -> Dict[str, int]:
        return dict(flops=self.estimator.flops(subnet), params=self.estimator.params(subnet))

    def admits(self, subnet: Subnet, window: bool = True) -> bool:
        """Whether ``subnet`` meets every limit (and, with ``window``, lies above its lower bound)."""
        costs = self.costs(subnet)
        return all(costs[name] <= limit and (not window or costs[name] >= self.window * limit)
                   for name, limit in self.limits.items())

    def admits_batch(self, widths: np.ndarray) -> np.ndarray:
        costs = self.estimator.batch(widths)
        ok = np.ones(len(widths), dtype=bool)
        for name, limit in self.limits.items():
            ok &= (costs[name] <= limit) & (costs[name] >= self.window * limit)
        return ok

    def _check_feasible(self) -> None:
        smallest, largest = self.costs(self.space.smallest()), self.costs(self.space.largest())
        for name, limit in self.limits.items():
            where = f' of {self.scope}' if self.scope else ''
            if smallest[name] > limit:
                raise BudgetError(f'no subnet meets the budget: the smallest subnet has {smallest[name]:,} {name}'
                                  f'{where}, above the limit of {limit:,.0f}')
            if largest[name] < self.window * limit:
                raise BudgetError(f'no subnet lies in the budget window: the largest subnet has {largest[name]:,} '
                                  f'{name}{where}, below {self.window:g} x {limit:,.0f}; lower the limit or the window')

    def describe(self) -> str:
        parts = [f'{name} <= {limit / 1e6:,.2f}M' + (f' (>= {self.window:g}x)' if self.window else '')
                 for name, limit in self.limits.items()]
        return ', '.join(parts) + (f' [{self.scope}]' if self.scope else '')

    def to_dict(self) -> dict:
        return dict(limits=self.limits, window=self.window, scope=self.scope)
