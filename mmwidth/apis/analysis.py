"""Library side of the analysis tools: width space of a config, FLOPs/params of a subnet, subnet verification."""
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ..estimators.counter import count_flops_params, count_per_module
from ..export.static_model import export_static_model
from ..sharing.index_sets import subnet_index_sets
from ..space.subnet_file import has_kept_indices, kept_index_sets, load_subnet
from ..space.width_space import WidthSpace
from ..supernet.dynamic_supernet import DynamicSupernet
from ..utils.config import build_model, infer_input_shape, load_config
from ..utils.model_call import entry_outputs

ConfigLike = Union[str, Config]
SubnetLike = Union[str, Mapping[str, int]]


def load_model_and_space(config: ConfigLike, input_shape: Optional[Sequence[int]] = None,
                         cfg_options: Optional[dict] = None) -> Tuple[nn.Module, WidthSpace, Config]:
    """Builds a config's model and traces its width space.

    For an mmwidth algorithm the searched model is its ``architecture`` and the space is the algorithm's own
    (traced again by the algorithm only when ``input_shape`` differs). Any other model is traced with the config's
    ``width_space`` options, at ``input_shape`` or the size its data pipeline feeds it.
    """
    cfg = config if isinstance(config, Config) else load_config(config, cfg_options)
    model = build_model(cfg)
    space = getattr(model, 'space', None)
    if isinstance(space, WidthSpace):
        architecture = model.architecture
        if input_shape is None or tuple(input_shape) == space.graph.input_shape:
            return architecture, space, cfg
        return architecture, model.space_at(input_shape), cfg
    options = dict(cfg.get('width_space') or {})
    shape = tuple(input_shape) if input_shape else infer_input_shape(cfg)
    options.pop('input_shape', None)
    return model, WidthSpace.from_config(model, options, shape), cfg


def describe_width_space(config: ConfigLike, input_shape: Optional[Sequence[int]] = None,
                         cfg_options: Optional[dict] = None) -> dict:
    """``{"groups": [{"name", "channels", "blocks", "choices", "members"}, ...], "fixed": [...], "input_shape",
    "entries", "uncounted"}`` (see :meth:`WidthSpace.to_dict`)."""
    _, space, _ = load_model_and_space(config, input_shape, cfg_options)
    return space.to_dict()


def get_flops(config: ConfigLike, subnet: Optional[SubnetLike] = None,
              input_shape: Optional[Sequence[int]] = None, scope: Optional[str] = None,
              cfg_options: Optional[dict] = None) -> Dict[str, int]:
    """``{"flops", "params"}`` of the full model or of ``subnet`` (a dict or a subnet file); with ``scope``, of
    the layers under that module prefix only (e.g. a detector's ``backbone``)."""
    _, space, _ = load_model_and_space(config, input_shape, cfg_options)
    widths = space.full() if subnet is None else space.check_subnet(_read(subnet), source=_source(subnet))
    estimator = space.estimator if scope is None else space.scoped_estimator(scope)
    return dict(flops=estimator.flops(widths), params=estimator.params(widths))


def verify_subnets(config: ConfigLike, subnets: Optional[Sequence[SubnetLike]] = None, num_random: int = 0,
                   seed: int = 0, patterns: Sequence[str] = ('left', 'right', 'random'), atol: float = 1e-4,
                   input_shape: Optional[Sequence[int]] = None, device: str = 'cpu',
                   rtol: float = 1e-5, cfg_options: Optional[dict] = None) -> List[dict]:
    """Checks the width machinery on subnets: for each subnet and sharing pattern, the dynamic subnet and its
    exported static model must give the same outputs on one random input (eval mode, on ``device``), and the
    analytic FLOPs and params must equal a module-by-module count of the exported model.

    A subnet file that lists its kept channels is checked on those (pattern ``kept``) instead of the patterns.
    Norm statistics and affine parameters are randomised first, so that a wrong channel selection shows.
    Outputs match when each output tensor's largest difference is at most ``atol + rtol`` x its largest value in the
    exported model (``output_scale``: the largest over all outputs): with randomised norms some networks (e.g.
    MobileOne) give outputs of 1e5, where float32 rounding alone differs by 1e-2, while a wrong channel differs by
    a sizeable part of the scale.
    Returns one row per (subnet, pattern) with ``ok`` set when everything matches, and where the counts differ
    ``differing_modules`` (:func:`count_differences`).
    """
    model, space, _ = load_model_and_space(config, input_shape, cfg_options)
    entries = [_read(s) for s in subnets or []]
    for entry, subnet in zip(entries, subnets or []):
        space.check_subnet(entry, source=_source(subnet))
    return verify_model_subnets(model, space, entries, num_random, seed, patterns, atol, device, rtol)


def verify_model_subnets(model: nn.Module, space: WidthSpace, subnets: Sequence[Mapping[str, object]] = (),
                         num_random: int = 0, seed: int = 0, patterns: Sequence[str] = ('left', 'right', 'random'),
                         atol: float = 1e-4, device: str = 'cpu', rtol: float = 1e-5) -> List[dict]:
    """:func:`verify_subnets` on a built model and its width space (``subnets``: subnet file entries, channel
    counts or kept channels)."""
    shape = space.graph.input_shape
    generator = torch.Generator().manual_seed(seed)
    _randomise_norms(model, generator)
    model.to(device).eval()
    supernet = DynamicSupernet(model, space)
    inputs = torch.randn((1, ) + tuple(shape), generator=generator).to(device)
    rng = np.random.default_rng(seed)
    entries = list(subnets)
    candidates = [space.check_subnet(entry) for entry in entries] + [space.sample(rng) for _ in range(num_random)]
    rows = []
    for number, subnet in enumerate(candidates):
        if number < len(entries) and has_kept_indices(entries[number]):  # the file's own channels
            pattern_sets = dict(kept=kept_index_sets(entries[number], space.full()))
        else:
            pattern_sets = {p: subnet_index_sets(space.full(), subnet, p, generator, space.blocks) for p in patterns}
        for pattern, index_sets in pattern_sets.items():
            with torch.no_grad(), supernet.subnet(index_sets):
                dynamic = entry_outputs(model, inputs, space.graph.entries)
            static = export_static_model(model, space, index_sets)
            with torch.no_grad():  # the loss-path heads too: what breaks training fails here
                exported = entry_outputs(static, inputs, space.graph.entries)
            flops_counted, params_counted = count_flops_params(static, shape, space.graph.entry)
            compared = _compare_outputs(dynamic, exported)  # None: the outputs' shapes differ
            differences = [float('inf')] if compared is None else [diff for diff, _ in compared]
            row = dict(subnet=number, pattern=pattern, max_abs_diff=max(differences, default=0.0),
                       output_scale=max((float(t.abs().max()) for t in exported if t.numel()), default=0.0),
                       flops=space.flops(subnet), flops_counted=flops_counted, params=space.params(subnet),
                       params_counted=params_counted)
            # each output tensor at its own scale: a detector's small box deltas are not judged by its large scores
            outputs_match = compared is not None and all(diff <= atol + rtol * scale for diff, scale in compared)
            counts_match = row['flops'] == flops_counted and row['params'] == params_counted
            row['ok'] = outputs_match and counts_match
            if not counts_match:
                row['differing_modules'] = count_differences(space, subnet, static)
            rows.append(row)
    return rows


def count_differences(space: WidthSpace, subnet: Mapping[str, int], static: nn.Module) -> List[str]:
    """The modules whose analytic FLOPs or params at ``subnet`` differ from a module-by-module count of its
    exported model ``static``, each as ``'name: FLOPs a (counted b), params c (counted d)'``."""
    analytic = space.estimator.per_module(subnet)
    counted = count_per_module(static, space.graph.input_shape, space.graph.entry)
    found = []
    for name in sorted(set(analytic) | set(counted)):
        (flops, params), (flops_counted, params_counted) = analytic.get(name, (0, 0)), counted.get(name, (0, 0))
        if (flops, params) != (flops_counted, params_counted):
            found.append(f'{name or "<model>"}: FLOPs {flops:,} (counted {flops_counted:,}), params {params:,} '
                         f'(counted {params_counted:,})')
    return found


def _read(subnet: SubnetLike) -> Mapping[str, object]:
    return load_subnet(subnet) if isinstance(subnet, str) else subnet


def _source(subnet: SubnetLike) -> str:
    return f'subnet file {subnet}' if isinstance(subnet, str) else 'subnet'


def _compare_outputs(first: List[torch.Tensor], second: List[torch.Tensor]) -> Optional[List[Tuple[float, float]]]:
    """(largest difference, largest value of ``second``) of each pair of non-empty output tensors; None when the
    outputs' shapes differ."""
    if len(first) != len(second) or any(a.shape != b.shape for a, b in zip(first, second)):
        return None
    return [(float((a - b).abs().max()), float(b.abs().max())) for a, b in zip(first, second) if a.numel()]


def _randomise_norms(model: nn.Module, generator: torch.Generator) -> None:
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, _BatchNorm) and module.track_running_stats:
                size = module.running_mean.shape
                module.running_mean.copy_(torch.rand(size, generator=generator) - 0.5)
                module.running_var.copy_(torch.rand(size, generator=generator) + 0.5)
            if isinstance(module, (_BatchNorm, nn.GroupNorm, nn.LayerNorm)):
                for tensor, low in ((module.weight, 0.5), (module.bias, -0.5)):
                    if tensor is not None:
                        tensor.copy_(torch.rand(tensor.shape, generator=generator) + low)
