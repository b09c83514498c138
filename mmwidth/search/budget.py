"""Resource budgets of a width search: limits on FLOPs, params and latency, and the window candidates must fall
in."""
import math
from typing import Dict, Optional, Tuple, Union

import numpy as np

from ..latency.table import LatencyTable
from ..space.width_space import Subnet, WidthSpace
from ..utils.errors import WidthSearchError

Limit = Union[None, int, float, str]
# how many candidates the latency feasibility check draws (besides the smallest and the largest subnet), since
# latency, unlike FLOPs, need not grow with every width
FEASIBILITY_SAMPLES = 4096


class BudgetError(WidthSearchError, ValueError):
    """A budget that is malformed or that no subnet of the space can meet."""


class Budget:
    """Limits on FLOPs, params and/or latency of a subnet, with a lower window.

    A FLOPs or params limit is absolute (``330e6``) or a percentage of the largest subnet (``'50%'``); a latency
    limit is in milliseconds (``'8ms'`` or ``8``) or a percentage of the largest subnet's predicted latency, and
    needs ``latency_table``: the file :class:`~mmwidth.latency.table.LatencyTable` wrote for this model on this
    machine (``tools/analysis/latency_table.py``), or ``dict(file=..., force=True)`` to use one measured
    elsewhere. Candidates of an evolutionary or random search must lie in ``[window * limit, limit]`` for every
    limited resource, which keeps the search where the best subnets are (the V2 code uses ``window=0.8``);
    ``window=0`` admits everything under the limit. ``scope`` counts only the layers under one module prefix
    (e.g. ``'backbone'`` of a detector; a latency table must be built with the same scope); by default the
    whole model. Under a latency limit the search times its ``finalists`` best candidates end to end on the
    table's runtime and keeps the best-scoring one that the measurement admits.
    """

    RESOURCES = ('flops', 'params', 'latency')
    OPTIONS = RESOURCES + ('latency_table', 'window', 'scope', 'finalists')

    def __init__(self, space: WidthSpace, flops: Limit = None, params: Limit = None, latency: Limit = None,
                 latency_table: Union[None, str, dict, LatencyTable] = None, window: float = 0.8,
                 scope: Optional[str] = None, finalists: int = 5):
        if flops is None and params is None and latency is None:
            raise BudgetError('a budget needs a FLOPs, params or latency limit, e.g. budget=dict(flops="50%")')
        if not 0 <= window <= 1:
            raise BudgetError(f'the budget window must lie in [0, 1], got {window}')
        if not isinstance(finalists, int) or finalists < 1:
            raise BudgetError(f'the budget\'s finalists must be a positive number, got {finalists!r}')
        self.space = space
        self.window = window
        self.scope = scope
        self.finalists = finalists
        self.estimator = space.estimator if scope is None else space.scoped_estimator(scope)
        self.latency_table = self._latency_table(latency, latency_table)
        largest = self.costs(space.largest())
        self.limits: Dict[str, float] = {}
        for name, limit in zip(self.RESOURCES, (flops, params, latency)):
            if limit is not None:
                self.limits[name] = self._absolute(name, limit, largest[name])
        self._check_feasible()

    def _latency_table(self, latency: Limit, table) -> Optional[LatencyTable]:
        if table is None:
            if latency is not None:
                raise BudgetError('a latency limit needs latency_table=FILE, a table built with '
                                  'tools/analysis/latency_table.py for this model on this machine')
            return None
        if not isinstance(table, LatencyTable):
            table = LatencyTable.from_option(table, self.space)
        if table.record['scope'] != self.scope:
            raise BudgetError(f'the latency table was built for scope {table.record["scope"]!r}, the budget counts '
                              f'scope {self.scope!r}: build the table with --scope {self.scope}'
                              if self.scope else f'the latency table was built for scope {table.record["scope"]!r} '
                              'but the budget counts the whole model')
        return table

    @staticmethod
    def _absolute(name: str, limit: Limit, largest: float) -> float:
        if isinstance(limit, str):
            text = limit.strip()
            if name == 'latency' and text.endswith('ms'):
                text = text[:-2].strip()
            try:
                value = float(text.rstrip('%')) / 100 * largest if text.endswith('%') else float(text)
            except ValueError:
                kind = 'a number of milliseconds (e.g. "8ms")' if name == 'latency' else 'a number'
                raise BudgetError(f'{name} limit "{limit}" is neither {kind} nor a percentage') from None
        else:
            value = float(limit)
        if not 0 < value < math.inf:  # also refuses nan
            raise BudgetError(f'the {name} limit must be a positive finite number, got {limit}')
        return value

    def costs(self, subnet: Subnet) -> Dict[str, float]:
        """FLOPs and params of ``subnet`` and, with a latency table, its predicted latency in ms."""
        costs = dict(flops=self.estimator.flops(subnet), params=self.estimator.params(subnet))
        if self.latency_table is not None:
            costs['latency'] = self.latency_table.predict(subnet)
        return costs

    def batch_costs(self, widths: np.ndarray) -> Dict[str, np.ndarray]:
        """:meth:`costs` of many candidates: ``widths`` is ``(N, len(names))`` in channels."""
        costs = self.estimator.batch(widths)
        if self.latency_table is not None:
            costs['latency'] = self.latency_table.predict_batch(widths)
        return costs

    def admits(self, subnet: Subnet, window: bool = True) -> bool:
        """Whether ``subnet`` meets every limit (and, with ``window``, lies above its lower bound)."""
        costs = self.costs(subnet)
        return all(costs[name] <= limit and (not window or costs[name] >= self.window * limit)
                   for name, limit in self.limits.items())

    def admits_batch(self, widths: np.ndarray) -> np.ndarray:
        costs = self.batch_costs(widths)
        ok = np.ones(len(widths), dtype=bool)
        for name, limit in self.limits.items():
            ok &= (costs[name] <= limit) & (costs[name] >= self.window * limit)
        return ok

    def _check_feasible(self) -> None:
        widths = np.array([[subnet[name] for name in self.space.names]
                           for subnet in (self.space.smallest(), self.space.largest())])
        if 'latency' in self.limits:  # not monotone in the widths: look at a sample of the space too
            generator = np.random.default_rng(0)
            sample = np.stack([generator.choice(self.space.choices[name], FEASIBILITY_SAMPLES)
                               for name in self.space.names], axis=1)
            widths = np.concatenate([widths, sample])
        costs = self.batch_costs(widths)
        for name, limit in self.limits.items():
            where = f' of {self.scope}' if self.scope else ''
            low, high = costs[name].min(), costs[name].max()
            least, most = (('the fastest subnet drawn', 'the slowest subnet drawn') if name == 'latency'
                           else ('the smallest subnet', 'the largest subnet'))
            if low > limit:
                raise BudgetError(f'no subnet meets the budget: {least} has {_figure(name, low)} {name}{where}, '
                                  f'above the limit of {_figure(name, limit)}')
            if high < self.window * limit:
                raise BudgetError(f'no subnet lies in the budget window: {most} has {_figure(name, high)} {name}'
                                  f'{where}, below {self.window:g} x {_figure(name, limit)}; lower the limit or the '
                                  'window')
        if 'latency' in self.limits:
            admitted = np.ones(len(widths), dtype=bool)
            for name, limit in self.limits.items():
                admitted &= (costs[name] <= limit) & (costs[name] >= self.window * limit)
            if not admitted.any():
                raise BudgetError(f'no subnet of {len(widths):,} drawn meets every limit of the budget '
                                  f'({self.describe()}): widen the window or loosen a limit')

    def prior_form(self) -> Tuple[np.ndarray, float]:
        """The quadratic form in ``[1, widths]`` (block rows) of the resource a prior over widths aims at, and its
        limit: FLOPs, else params, else latency (the table fitted by a quadratic form)."""
        if 'flops' in self.limits:
            return self.estimator.flops_matrix, self.limits['flops']
        if 'params' in self.limits:
            return self.estimator.params_matrix, self.limits['params']
        return self.latency_table.quadratic_form(), self.limits['latency']

    def describe(self) -> str:
        def amount(name, value):
            return f'{value:,.2f} ms' if name == 'latency' else f'{value / 1e6:,.2f}M'
        parts = [f'{name} <= {amount(name, limit)}' + (f' (>= {self.window:g}x)' if self.window else '')
                 for name, limit in self.limits.items()]
        return ', '.join(parts) + (f' [{self.scope}]' if self.scope else '')

    def to_dict(self) -> dict:
        record = dict(limits=self.limits, window=self.window, scope=self.scope)
        if self.latency_table is not None:
            record.update(finalists=self.finalists, latency_runtime=self.latency_table.record['runtime'])
        return record


def _figure(name: str, value: float) -> str:
    """A resource figure as a message shows it: latency in ms, FLOPs and params in full."""
    return f'{value:.3f} ms' if name == 'latency' else f'{value:,.0f}'
