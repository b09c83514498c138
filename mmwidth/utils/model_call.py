"""Calling any model on a plain tensor: OpenMMLab models in their ``tensor`` mode, other modules directly.

This module is the one place that decides what a traced model computes: the whole tensor-mode forward, or only
the feature extractor (``extract_feat``: backbone and neck) of a model whose heads cannot run on a tensor alone
(two-stage detectors need data samples to place their proposals), and the heads that only the loss path runs
(mmseg's auxiliary heads), each fed by the features (entry ``'<head path>(extract_feat)'``). The tracer, the FLOPs
counter, the subnet verification and the export check all call the same entries.
"""
import inspect
import re
from typing import Any, Callable, List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModel
from torch import nn

WHOLE_FORWARD = 'forward'
FEATURE_EXTRACTOR = 'extract_feat'
FEATURE_MODULES = ('backbone', 'neck')
_HEAD_ENTRY = re.compile(r'^(?P<path>[\w.]+)\(extract_feat\)$')


def head_entry(path: str) -> str:
    """The entry that runs the head at ``path`` on the features of the model's feature extractor."""
    return f'{path}({FEATURE_EXTRACTOR})'


def forward_tensor(model: nn.Module, inputs: torch.Tensor, entry: str = WHOLE_FORWARD) -> Any:
    """Runs ``model`` on a batch tensor and returns its raw outputs (logits, feature maps, head outputs), with
    ``entry='extract_feat'`` the feature maps of its backbone and neck, with a :func:`head_entry` that head's
    outputs on those features."""
    if entry == FEATURE_EXTRACTOR:
        return model.extract_feat(inputs)
    head = _HEAD_ENTRY.match(entry)
    if head:
        return model.get_submodule(head['path'])(model.extract_feat(inputs))
    if entry != WHOLE_FORWARD:
        raise ValueError(f'unknown model entry "{entry}"')
    if isinstance(model, BaseModel):
        if _requires_data_samples(model):  # mmpose's estimators: forward(inputs, data_samples, mode)
            return model(inputs, None, mode='tensor')
        return model(inputs, mode='tensor')
    return model(inputs)


def _requires_data_samples(model: BaseModel) -> bool:
    parameter = inspect.signature(model.forward).parameters.get('data_samples')
    return parameter is not None and parameter.default is inspect.Parameter.empty


def trace_entries(model: nn.Module, scope: Optional[Sequence[str]]) -> Tuple[str, ...]:
    """The entries a tracer may follow, best first: the whole forward, then the feature extractor when the model
    has one and every searched module lies in it (a scope that reaches into a head needs the whole forward)."""
    inside = scope is not None and all(
        any(prefix == m or prefix.startswith(m + '.') for m in FEATURE_MODULES) for prefix in scope)
    if inside and callable(getattr(model, FEATURE_EXTRACTOR, None)):
        return WHOLE_FORWARD, FEATURE_EXTRACTOR
    return (WHOLE_FORWARD, )


def loss_path_heads(model: nn.Module, reached: Callable[[nn.Module], bool]) -> List[str]:
    """Entries for the children of a model with a feature extractor that the whole forward did not reach
    (``reached``: whether any parameter of a module was used): heads that only its loss path runs on the
    features, such as mmseg's ``auxiliary_head`` (each member of a list of them on its own)."""
    if not callable(getattr(model, FEATURE_EXTRACTOR, None)):
        return []
    entries = []
    for name, child in model.named_children():
        members = child.named_children() if isinstance(child, (nn.ModuleList, nn.ModuleDict)) else [('', child)]
        for member, module in members:
            if any(True for _ in module.parameters()) and not reached(module):
                entries.append(head_entry(f'{name}.{member}' if member else name))
    return entries


class TensorEntry(nn.Module):
    """A model's tensor-mode computation at ``entry`` (see :func:`forward_tensor`) as a plain module of one input
    whose outputs are a flat tuple of tensors: what ONNX exporters trace and runtimes time."""

    def __init__(self, model: nn.Module, entry: str = WHOLE_FORWARD):
        super().__init__()
        self.model = model
        self.entry = entry

    def forward(self, inputs: torch.Tensor):
        return tuple(flatten_tensors(forward_tensor(self.model, inputs, self.entry)))


def flatten_tensors(outputs: Any) -> list:
    """Every tensor in a nested structure of outputs, in a fixed order."""
    if isinstance(outputs, torch.Tensor):
        return [outputs]
    if isinstance(outputs, dict):
        return [t for key in sorted(outputs) for t in flatten_tensors(outputs[key])]
    if isinstance(outputs, (tuple, list)):
        return [t for item in outputs for t in flatten_tensors(item)]
    return []


def entry_outputs(model: nn.Module, inputs: torch.Tensor, entries: Sequence[str]) -> list:
    """Every output tensor of the ``entries`` run one after the other (:func:`flatten_tensors` of each)."""
    return [t for entry in entries for t in flatten_tensors(forward_tensor(model, inputs, entry))]
