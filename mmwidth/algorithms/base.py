"""What every width-search algorithm shares: the wrapped model, its width space, the dynamic supernet and a
seeded sampler whose state lives in the checkpoint."""
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.dist import all_reduce, broadcast
from mmengine.model import BaseModel, is_model_wrapper
from mmengine.optim import OptimWrapper
from torch import nn

from ..registry import MODELS
from ..sharing.index_sets import IndexSet, subnet_index_sets
from ..space.width_space import Subnet, WidthSpace
from ..supernet.dynamic_supernet import DynamicSupernet
from ..utils.errors import ConfigError

EVAL_SUBNETS = ('largest', 'smallest')


def algorithm_of(runner, user: str) -> 'WidthSearchAlgorithm':
    """The runner's model (unwrapped from DDP), which ``user`` (e.g. a hook) needs to be a width-search
    algorithm."""
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    if not isinstance(model, WidthSearchAlgorithm):
        raise ConfigError(f'{user} needs a width-search algorithm as the model (e.g. mmwidth.BCNet), '
                          f'got {type(model).__name__}')
    return model


class WidthSearchAlgorithm(BaseModel):
    """Base of the width-search algorithms: wraps any OpenMMLab model (``architecture``) as a width supernet.

    Subclasses implement :meth:`train_step` with their own sampling and passes; validation and testing run one
    subnet (``eval_subnet``: the largest or the smallest, left-aligned), so that a supernet's log shows a
    number that means something. Sampling draws from a seeded generator whose state is a buffer: it is saved in
    checkpoints (resume continues the same sequence) and broadcast from rank 0 every step (identical on all
    ranks).

    Args:
        architecture: the model to search (a config dict or a built model).
        width_space: width-space options, see :meth:`WidthSpace.from_config` (``input_shape`` is required).
        seed: seed of the width sampler (default: torch's initial seed, which MMEngine's ``randomness`` sets).
        eval_subnet: the subnet used by ``val_step``/``test_step``.
        data_preprocessor: the architecture's, when the architecture config gives none.
    """

    def __init__(self, architecture: Union[dict, nn.Module], width_space: dict, seed: Optional[int] = None,
                 eval_subnet: str = 'largest', data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if isinstance(architecture, dict):
            # the runner hands the config's top-level data_preprocessor to the outermost model: it belongs to
            # the architecture, whose preprocessor (e.g. mmpretrain's ClsDataPreprocessor) the algorithm uses
            architecture = dict(architecture)
            if isinstance(data_preprocessor, dict):
                architecture.setdefault('data_preprocessor', data_preprocessor)
            architecture = MODELS.build(architecture)
        super().__init__(data_preprocessor=architecture.data_preprocessor, init_cfg=init_cfg)
        if eval_subnet not in EVAL_SUBNETS:
            raise ConfigError(f'eval_subnet must be one of {EVAL_SUBNETS}, got "{eval_subnet}"')
        self.architecture = architecture
        self.eval_subnet = eval_subnet
        self.space_cfg = dict(width_space)  # the options as given (the architecture's, also when widened)
        self.space = self.build_space()
        self.supernet = DynamicSupernet(self.architecture, self.space)
        generator = torch.Generator().manual_seed(torch.initial_seed() if seed is None else seed)
        self.register_buffer('sampler_state', generator.get_state())
        self._entry: Optional[nn.Module] = None

    @property
    def mmwidth_record(self) -> dict:
        """What its checkpoints record and what a checkpoint loaded into it must match (see
        :func:`mmwidth.utils.checkpoint.check_fits`): the algorithm and its width space."""
        return dict(model=type(self).__name__, space=self.space.fingerprint())

    def build_space(self) -> WidthSpace:
        """Traces the architecture (subclasses may reshape it first)."""
        return self.space_at()

    def space_at(self, input_shape: Optional[Sequence[int]] = None) -> WidthSpace:
        """This algorithm's width space traced at another input size (its groups and choices stay; FLOPs change).
        The algorithm owns its space: tools ask it rather than tracing ``width_space`` themselves."""
        return WidthSpace.from_config(self.architecture, self.space_cfg, input_shape)

    # ------------------------------------------------------------------------------------------------ sampling
    @contextmanager
    def generator(self) -> Iterator[torch.Generator]:
        """The sampler's generator, restored from and saved back to the ``sampler_state`` buffer."""
        generator = torch.Generator()
        generator.set_state(self.sampler_state.cpu())
        yield generator
        self.sampler_state.copy_(generator.get_state())

    def sample_choices(self) -> List[int]:
        """One choice index per group, each uniform over the group's choices."""
        with self.generator() as generator:
            return [int(torch.randint(len(self.space.choices[name]), (1, ), generator=generator))
                    for name in self.space.names]

    def widths(self, choices: List[int]) -> Subnet:
        return {name: self.space.choices[name][c] for name, c in zip(self.space.names, choices)}

    def index_sets(self, widths: Subnet, pattern: str = 'left') -> Dict[str, IndexSet]:
        return subnet_index_sets(self.space.full(), widths, pattern, blocks=self.space.blocks)

    def scoring_index_sets(self, widths: Subnet) -> Dict[str, Dict[str, IndexSet]]:
        """The subnets that stand for ``widths`` when a search scores it, by label; their scores are combined
        with ``score_reduction``. AutoSlim's widths are their left channels."""
        return dict(left=self.index_sets(widths))

    score_reduction = 'mean'
    # Buffers that are the same on every rank by construction (kept so by the algorithm, not by DDP broadcasts).
    bookkeeping_buffers: Tuple[str, ...] = ('sampler_state', )

    def sync_sampler(self) -> None:
        """Makes every rank draw the same widths (a no-op without distributed training)."""
        broadcast(self.sampler_state, src=0)

    # --------------------------------------------------------------------------------------------------- passes
    @contextmanager
    def forward_through(self, entry: nn.Module) -> Iterator[None]:
        """Runs this algorithm's forward passes through ``entry`` (its DDP wrapper) during a train step."""
        self.__dict__['_entry'] = entry  # not a submodule: the wrapper contains this module
        try:
            yield
        finally:
            self.__dict__['_entry'] = None

    @contextmanager
    def gradient_sync(self, last: bool) -> Iterator[None]:
        """Forward and backward passes of a multi-pass step: under DDP, only the step's ``last`` backward pass
        all-reduces the gradients, the earlier ones accumulate locally (DDP's ``no_sync``), so that a step
        synchronises once, with the same sum of gradients."""
        if last or self._entry is None or not hasattr(self._entry, 'no_sync'):
            yield
        else:
            with self._entry.no_sync():
                yield

    def run_pass(self, data: dict, optim_wrapper: OptimWrapper, mode: str = 'loss'):
        """One forward pass of the active subnet on preprocessed ``data`` (through DDP when wrapped)."""
        if getattr(optim_wrapper, '_accumulative_counts', 1) > 1:
            raise ConfigError(f'{type(self).__name__} takes one optimizer step per iteration over several subnets; '
                              'optim_wrapper.accumulative_counts > 1 is not supported (raise the batch size)')
        entry = self._entry if self._entry is not None else self
        with optim_wrapper.optim_context(self):
            return entry(**data, mode=mode)

    def loss_pass(self, data: dict, optim_wrapper: OptimWrapper) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        return self.parse_losses(self.run_pass(data, optim_wrapper, 'loss'))

    @staticmethod
    def mean_over_ranks(value: torch.Tensor) -> float:
        value = value.detach().clone()
        all_reduce(value, op='mean')
        return float(value)

    def subnet_log(self, widths: Subnet) -> Dict[str, torch.Tensor]:
        return dict(subnet_mflops=torch.tensor(self.space.flops(widths) / 1e6))

    # ------------------------------------------------------------------------------------------ model interface
    def forward(self, inputs: torch.Tensor, data_samples=None, mode: str = 'tensor'):
        """The architecture's own forward, on whatever subnet is active."""
        return self.architecture(inputs, data_samples, mode)

    def eval_widths(self) -> Subnet:
        return self.space.largest() if self.eval_subnet == 'largest' else self.space.smallest()

    def val_step(self, data: Union[dict, tuple, list]) -> list:
        with self.supernet.subnet(self.index_sets(self.eval_widths())):
            return super().val_step(data)

    def test_step(self, data: Union[dict, tuple, list]) -> list:
        with self.supernet.subnet(self.index_sets(self.eval_widths())):
            return super().test_step(data)
