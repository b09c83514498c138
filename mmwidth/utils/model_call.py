"""Calling any model on a plain tensor: OpenMMLab models in their ``tensor`` mode, other modules directly.

This module is the one place that decides what a traced model computes: the whole tensor-mode forward, or only
the feature extractor (``extract_feat``: backbone and neck) of a model whose heads cannot run on a tensor alone
(two-stage detectors need data samples to place their proposals). The tracer, the FLOPs counter, the subnet
verification and the export check all call the same entry.
"""
from typing import Any, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModel
from torch import nn

WHOLE_FORWARD = 'forward'
FEATURE_EXTRACTOR = 'extract_feat'
FEATURE_MODULES = ('backbone', 'neck')


def forward_tensor(model: nn.Module, inputs: torch.Tensor, entry: str = WHOLE_FORWARD) -> Any:
    """Runs ``model`` on a batch tensor and returns its raw outputs (logits, feature maps, head outputs), or with
    ``entry='extract_feat'`` the feature maps of its backbone and neck."""
    if entry == FEATURE_EXTRACTOR:
        return model.extract_feat(inputs)
    if entry != WHOLE_FORWARD:
        raise ValueError(f'unknown model entry "{entry}"')
    if isinstance(model, BaseModel):
        return model(inputs, mode='tensor')
    return model(inputs)


def trace_entries(model: nn.Module, scope: Optional[Sequence[str]]) -> Tuple[str, ...]:
    """The entries a tracer may follow, best first: the whole forward, then the feature extractor when the model
    has one and every searched module lies in it (a scope that reaches into a head needs the whole forward)."""
    inside = scope is not None and all(
        any(prefix == m or prefix.startswith(m + '.') for m in FEATURE_MODULES) for prefix in scope)
    if inside and callable(getattr(model, FEATURE_EXTRACTOR, None)):
        return WHOLE_FORWARD, FEATURE_EXTRACTOR
    return (WHOLE_FORWARD, )


def flatten_tensors(outputs: Any) -> list:
    """Every tensor in a nested structure of outputs, in a fixed order."""
    if isinstance(outputs, torch.Tensor):
        return [outputs]
    if isinstance(outputs, dict):
        return [t for key in sorted(outputs) for t in flatten_tensors(outputs[key])]
    if isinstance(outputs, (tuple, list)):
        return [t for item in outputs for t in flatten_tensors(item)]
    return []
