"""Counts FLOPs and params of a built model module by module, to check the analytic estimator against."""
from typing import Sequence, Tuple

import torch
from torch import nn
from torch.nn.modules.conv import _ConvNd

from ..utils.model_call import forward_tensor


def count_flops_params(model: nn.Module, input_shape: Sequence[int], entry: str = 'forward') -> Tuple[int, int]:
    """MACs of every conv and linear call of ``entry`` (see :func:`forward_tensor`) on one ``input_shape`` image,
    and the number of parameters.

    Kernel sizes and input widths are read from the weights in use, so dynamic layers count their active part.
    """
    total = [0]

    def count(module: nn.Module, inputs, output: torch.Tensor) -> None:
        per_output = module.weight[0].numel()  # in_channels / groups * kernel area (or in_features)
        total[0] += output.numel() // output.shape[0] * per_output

    layers = [m for m in model.modules()
              if isinstance(m, nn.Linear) or (isinstance(m, _ConvNd) and not m.transposed)]
    handles = [m.register_forward_hook(count) for m in layers]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            forward_tensor(model, torch.zeros(1, *input_shape), entry)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return total[0], sum(p.numel() for p in model.parameters())
