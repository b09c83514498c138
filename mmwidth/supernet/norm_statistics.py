"""Batch-norm running statistics around forward passes that must not change them."""
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

import torch
from mmengine.dist import all_reduce, get_world_size
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


def norm_statistics(model: nn.Module) -> list:
    """A copy of every batch norm's running statistics (its full buffers, whatever subnet is active)."""
    return [(module, {name: buf.clone() for name, buf in module._buffers.items() if buf is not None})
            for module in model.modules() if isinstance(module, _BatchNorm)]


def restore_norm_statistics(saved: list) -> None:
    """Puts back what :func:`norm_statistics` copied."""
    for module, buffers in saved:
        for name, value in buffers.items():
            module._buffers[name].copy_(value)


@contextmanager
def preserved_norm_statistics(model: nn.Module) -> Iterator[None]:
    """Restores every batch norm's running statistics after the block (e.g. scoring candidates in train mode)."""
    saved = norm_statistics(model)
    try:
        yield
    finally:
        restore_norm_statistics(saved)


@torch.no_grad()
def recalibrate_norm_statistics(model: nn.Module, batches: Iterable, run: Callable[[Any], Any]) -> int:
    """Re-estimates every batch norm's running statistics for the active subnet.

    A supernet's statistics mix many subnets (and both sides of BCNet), so they fit none of them. They are
    reset and averaged cumulatively (``momentum=None``) over ``run(batch)`` for each batch, in train mode
    without gradients (norms the model keeps frozen in train mode are left alone), then averaged over ranks
    weighted by each rank's number of batches (so that ranks sharing out one list of batches get what one
    process running them all would). Returns the number of batches this rank used.
    """
    was_training = model.training
    model.train()
    # norms a model keeps in eval mode while training (mmdet's norm_eval) keep their statistics
    norms = [m for m in model.modules() if isinstance(m, _BatchNorm) and m.track_running_stats and m.training]
    momenta = [m.momentum for m in norms]
    for norm in norms:  # the full buffers: a subnet's view of them would reset only its channels
        norm._buffers['running_mean'].zero_()
        norm._buffers['running_var'].fill_(1)
        norm._buffers['num_batches_tracked'].zero_()
        norm.momentum = None
    used = 0
    try:
        for batch in batches:
            run(batch)
            used += 1
    finally:
        model.train(was_training)
        for norm, momentum in zip(norms, momenta):
            norm.momentum = momentum
    if get_world_size() > 1:
        total = torch.tensor(float(used))
        all_reduce(total)
        for norm in norms:
            for name in ('running_mean', 'running_var'):
                buffer = norm._buffers[name]
                buffer.mul_(used / max(float(total), 1.0))
                all_reduce(buffer)
    return used

