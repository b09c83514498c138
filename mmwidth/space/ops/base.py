"""How an op's tracing rule is registered in ``CHANNEL_OPS``, and what it is handed."""
from typing import Callable

from ...registry import CHANNEL_OPS

# What a rule needs of its arguments before it is called (see :func:`channel_op`).
NEEDS = ('values', 'tensor', 'channels')


def channel_op(*names: str, needs: str = 'channels') -> Callable:
    """Registers a tracing rule under the op names ``names`` (torch functions, tensor methods and operators,
    e.g. ``'add'``, ``'view'``, ``'getitem'``).

    A rule is called ``rule(trace, op, x, args, kwargs, meta, where)``: ``trace`` is the propagation (its
    ``groups`` store, ``unknown`` and ``opaque``), ``x`` the first traced tensor argument, ``args``/``kwargs``
    the traced arguments, ``meta`` the real output's ``TensorMetadata`` (or a sequence of them), ``where`` the
    module that runs the op. It returns the traced output.

    Args:
        needs: 'values' (the rule reads its arguments itself; ``x`` may be None), 'tensor' (a traced tensor
            argument), or 'channels' (one with traced channels: without them the output has none either).
    """
    if needs not in NEEDS:
        raise ValueError(f'needs must be one of {NEEDS}, got {needs!r}')

    def register(rule: Callable) -> Callable:
        rule.needs = needs
        CHANNEL_OPS.register_module(name=list(names), module=rule)
        return rule

    return register
