"""Counts FLOPs and params of a built model module by module, to check the analytic estimator against."""
from typing import Dict, Sequence, Tuple

import torch
from torch import nn
from torch.nn.modules.conv import _ConvNd

from ..utils.model_call import forward_tensor


def count_per_module(model: nn.Module, input_shape: Sequence[int],
                     entry: str = 'forward') -> Dict[str, Tuple[int, int]]:
    """MACs of every conv (transposed ones included) and linear call of ``entry`` (see :func:`forward_tensor`) on
    one ``input_shape`` image, and the parameters each module holds itself: module name -> (MACs, params), for
    the modules with either.

    Kernel sizes and input widths are read from the weights in use, so dynamic layers count their active part.
    """
    names = {id(m): name for name, m in model.named_modules()}
    macs: Dict[str, int] = {}

    def count(module: nn.Module, inputs, output: torch.Tensor) -> None:
        # a conv's output element sums in_channels / groups * kernel area products (a linear's in_features); a
        # transposed conv's input element is spread over out_channels / groups * kernel area outputs
        per_element = module.weight[0].numel()
        driving = inputs[0] if getattr(module, 'transposed', False) else output
        name = names[id(module)]
        macs[name] = macs.get(name, 0) + driving.numel() // driving.shape[0] * per_element

    layers = [m for m in model.modules() if isinstance(m, (nn.Linear, _ConvNd))]
    handles = [m.register_forward_hook(count) for m in layers]
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
