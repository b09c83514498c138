"""A model as the search and the export see it: its width space, the dynamic supernet and the subnets that
stand for a width."""
from dataclasses import dataclass
from typing import Callable, Dict, Optional

import numpy as np
from mmengine.config import Config
from mmengine.model import is_model_wrapper
from torch import nn

from ..algorithms.base import WidthSearchAlgorithm
from ..sharing.index_sets import IndexSet, subnet_index_sets
from ..space.width_space import Subnet, WidthSpace
from .dynamic_supernet import DynamicSupernet
from ..utils.config import infer_input_shape

Patterns = Callable[[Subnet], Dict[str, Dict[str, IndexSet]]]


@dataclass
class SearchSubject:
    """The runner's model seen by a search.

    ``patterns`` gives the subnets that stand for a width (BCNet: left and right; CafeNet: placements; others:
    left), combined by ``reduction`` ('mean' or 'max'). ``recorded_losses`` is BCNet's ``E[group, choice]``
    for the prior of the evolutionary search, when the supernet recorded it.
    """
    model: nn.Module
    space: WidthSpace
    supernet: DynamicSupernet
    patterns: Patterns
    reduction: str = 'mean'

    @property
    def recorded_losses(self) -> Optional[np.ndarray]:
        """As the model holds them now (a search reads them once ``load_from`` has loaded the supernet)."""
        return self.model.recorded_losses() if hasattr(self.model, 'recorded_losses') else None

    @classmethod
    def from_runner(cls, runner) -> 'SearchSubject':
        return cls.from_model(runner.model.module if is_model_wrapper(runner.model) else runner.model, runner.cfg)

    @classmethod
    def from_model(cls, model: nn.Module, cfg: Config) -> 'SearchSubject':
        if isinstance(model, WidthSearchAlgorithm):
            return cls(model, model.space, model.supernet, model.scoring_index_sets, model.score_reduction)
        # a plain model (e.g. a benchmark's oracle search): its width space comes from the config
        space = WidthSpace.from_config(model, plain_space_options(cfg))
        return cls(model, space, DynamicSupernet(model, space),
                   lambda widths: dict(left=subnet_index_sets(space.full(), widths, 'left', blocks=space.blocks)))

    @property
    def architecture(self) -> nn.Module:
        """The searched model itself (an algorithm's ``architecture``)."""
        return getattr(self.model, 'architecture', self.model)


def plain_space_options(cfg: Config) -> dict:
    """The width space of a config whose model is not a width-search algorithm: its ``width_space``, at the
    size its data pipeline feeds the model unless the options give one."""
    options = dict(cfg.get('width_space') or {})
    options['input_shape'] = options.get('input_shape') or infer_input_shape(cfg)
    return options
