"""AutoSlim: a slimmable supernet trained with the sandwich rule and in-place distillation (the baseline)."""
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper
from mmpretrain.models.heads import MultiLabelClsHead
from torch import nn

from ..registry import MODELS
from ..space.width_space import Subnet
from ..utils.errors import ConfigError
from .base import WidthSearchAlgorithm


def has_sigmoid_outputs(head: nn.Module) -> bool:
    """Whether a head's logits stand for independent per-class probabilities (sigmoid: mmpretrain's multi-label
    heads, or a loss with ``use_sigmoid``) rather than one softmax distribution over the classes."""
    loss = getattr(head, 'loss_module', None)
    return isinstance(head, MultiLabelClsHead) or bool(getattr(loss, 'use_sigmoid', False))


def binary_kl_div(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """``KL(Bernoulli(sigmoid(teacher)) || Bernoulli(sigmoid(student)))`` of every logit, summed over the classes
    and averaged over the batch: the reduction of mmpretrain's multi-label binary cross-entropy (and of the
    softmax KL's ``batchmean``), so that the distillation weighs like the largest subnet's label loss."""
    p = torch.sigmoid(teacher)
    return (p * (F.logsigmoid(teacher) - F.logsigmoid(student)) +
            (1 - p) * (F.logsigmoid(-teacher) - F.logsigmoid(-student))).sum(dim=1).mean()


@MODELS.register_module()
class AutoSlim(WidthSearchAlgorithm):
    """Left-aligned widths (``c`` channels are always the leftmost ``c``), trained with the sandwich rule.

    Each step sums the gradients of ``2 + num_random_samples`` passes and takes one optimizer step: the largest
    subnet on the labels, then the smallest and ``num_random_samples`` uniformly drawn subnets, each distilled
    from the largest subnet's detached outputs: ``KL(softmax(z_T / tau) || softmax(z_S / tau))`` for a
    single-label head, the binary KL between the per-class sigmoid probabilities for a sigmoid head (multi-label
    attributes), as the head in ``distill_module`` reads its logits.

    Args:
        distill_module: the module whose output holds the logits (e.g. the classifier's ``head``); ``None``
            trains every subnet on the labels instead (e.g. for detectors).
        distill_tau: the distillation temperature (MMRazor uses 1, BCNetV2's re-implementation 3).
    """

    def __init__(self, *args, num_random_samples: int = 2, distill_module: Optional[str] = 'head',
                 distill_tau: float = 1.0, **kwargs):
        super().__init__(*args, **kwargs)
        if num_random_samples < 0:
            raise ConfigError(f'num_random_samples must be >= 0, got {num_random_samples}')
        if distill_module is not None and distill_module not in dict(self.architecture.named_modules()):
            raise ConfigError(f'distill_module "{distill_module}" is not a module of the architecture')
        self.num_random_samples = num_random_samples
        self.distill_module = distill_module
        self.distill_tau = distill_tau
        self.binary_distillation = distill_module is not None and \
            has_sigmoid_outputs(self.architecture.get_submodule(distill_module))

    def sandwich(self) -> List[Subnet]:
        return [self.space.largest(), self.space.smallest()] + \
            [self.widths(self.sample_choices()) for _ in range(self.num_random_samples)]

    @contextmanager
    def captured_logits(self) -> Iterator[List[torch.Tensor]]:
        """Collects the outputs of ``distill_module`` during the block (nothing without distillation)."""
        outputs: List[torch.Tensor] = []
        if self.distill_module is None:
            yield outputs
            return
        module = self.architecture.get_submodule(self.distill_module)
        handle = module.register_forward_hook(lambda mod, args, out: outputs.append(out))
        try:
            yield outputs
        finally:
            handle.remove()

    def distill_loss(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        if not isinstance(student, torch.Tensor) or student.dim() != 2:
            raise ConfigError(f'AutoSlim distils logits of shape (N, classes); "{self.distill_module}" returned '
                              f'{type(student).__name__}. Set distill_module=None to train subnets on labels.')
        tau = self.distill_tau
        if self.binary_distillation:
            return binary_kl_div(student / tau, teacher / tau)
        return F.kl_div(F.log_softmax(student / tau, dim=1), F.softmax(teacher / tau, dim=1),
                        reduction='batchmean')

    def train_step(self, data: Union[dict, tuple, list], optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        self.sync_sampler()
        data = self.data_preprocessor(data, True)
        teacher, log_vars, subnets = None, {}, self.sandwich()
        for number, widths in enumerate(subnets):
            with self.supernet.subnet(self.index_sets(widths)), self.gradient_sync(number == len(subnets) - 1):
                if teacher is not None:
                    loss = self.distill_loss(self.run_pass(data, optim_wrapper, mode='tensor'), teacher)
                else:  # the largest subnet, or every subnet without distillation, learns from the labels
                    with self.captured_logits() as logits:
                        loss = self.loss_pass(data, optim_wrapper)[0]
                    teacher = logits[-1].detach() if logits else None
                optim_wrapper.backward(loss)
            name = ('max', 'min')[number] if number < 2 else f'random{number - 1}'
            log_vars[f'{name}_loss'] = loss.detach()
        optim_wrapper.step()
        optim_wrapper.zero_grad()
        log_vars['loss'] = sum(log_vars.values())
        return log_vars
