"""Counts FLOPs and params of a built model module by module, to check the analytic estimator against."""
from typing import Any, Dict, Sequence, Tuple

import torch
from torch import nn

from ..layers import ChannelLayer, layer_type_of
from ..utils.model_call import forward_tensor


def count_per_module(model: nn.Module, input_shape: Sequence[int],
                     entry: str = 'forward') -> Dict[str, Tuple[int, int]]:
    """MACs of every call of ``entry`` (see :func:`forward_tensor`) on one ``input_shape`` image of a module that
    a layer family counts (:meth:`~mmwidth.layers.ChannelLayer.count_macs`: convs, transposed ones included, and
    linears), and the parameters each module holds itself: module name -> (MACs, params), for the modules with
    either.

    Kernel sizes and input widths are read from the weights in use, so dynamic layers count their active part.
    """
    macs: Dict[str, int] = {}

    def counter(name: str, family: ChannelLayer):
        def count(module: nn.Module, args: tuple, kwargs: dict, output: Any) -> None:
            macs[name] = macs.get(name, 0) + family.count_macs(module, args + tuple(kwargs.values()), output)
        return count

    families = {name: layer_type_of(m) for name, m in model.named_modules()}
    handles = [model.get_submodule(name).register_forward_hook(counter(name, family), with_kwargs=True)
               for name, family in families.items() if family is not None]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            forward_tensor(model, torch.zeros(1, *input_shape, device=next(model.parameters()).device), entry)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    counts = {}
    for name, module in model.named_modules():
        params = sum(p.numel() for p in module.parameters(recurse=False))
        if params or name in macs:
            counts[name] = (macs.get(name, 0), params)
    return counts


def count_flops_params(model: nn.Module, input_shape: Sequence[int], entry: str = 'forward') -> Tuple[int, int]:
    """The MACs of :func:`count_per_module` and the number of parameters of ``model`` (shared ones once)."""
    macs = sum(m for m, _ in count_per_module(model, input_shape, entry).values())
    return macs, sum(p.numel() for p in model.parameters())
