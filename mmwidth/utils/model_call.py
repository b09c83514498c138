"""Calling any model on a plain tensor: OpenMMLab models in their ``tensor`` mode, other modules directly."""
from typing import Any

import torch
from mmengine.model import BaseModel
from torch import nn


def forward_tensor(model: nn.Module, inputs: torch.Tensor) -> Any:
    """Runs ``model`` on a batch tensor and returns its raw outputs (logits, feature maps, head outputs)."""
    if isinstance(model, BaseModel):
        return model(inputs, mode='tensor')
    return model(inputs)


def flatten_tensors(outputs: Any) -> list:
    """Every tensor in a nested structure of outputs, in a fixed order."""
    if isinstance(outputs, torch.Tensor):
        return [outputs]
    if isinstance(outputs, dict):
        return [t for key in sorted(outputs) for t in flatten_tensors(outputs[key])]
    if isinstance(outputs, (tuple, list)):
        return [t for item in outputs for t in flatten_tensors(item)]
    return []
