"""mmwidth's registries: children of MMEngine's root registries under the scope ``mmwidth``.

A config can therefore mix ``mmwidth.*`` types with ``mmpretrain.*`` and ``mmdet.*`` types; the modules named
in ``locations`` are imported the first time a registry is searched, so ``import mmwidth`` stays light (and
never imports mmdet).

Three registries are mmwidth's own: ``CHANNEL_LAYERS`` holds one :class:`~mmwidth.layers.ChannelLayer` per layer
family (conv, linear, norms, attention, parameters: how each is traced, made dynamic, sliced, resized and
counted), ``CHANNEL_OPS`` the tracing rule of every tensor operation by name; ``LATENCY_RUNTIMES`` holds the
runtimes latency is measured on (:mod:`mmwidth.latency.runtimes`). A user's layer type, op or runtime is one
registered class or function.
"""
from typing import List

from mmengine import registry as mmengine_registry
from mmengine.registry import Registry

__all__ = [
    'RUNNERS', 'LOOPS', 'HOOKS', 'DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS',
    'OPTIM_WRAPPERS', 'PARAM_SCHEDULERS', 'METRICS', 'EVALUATOR', 'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS',
    'CHANNEL_LAYERS', 'CHANNEL_OPS', 'LATENCY_RUNTIMES'
]


def _child(parent: Registry, locations: List[str]) -> Registry:
    return Registry(parent.name, parent=parent, scope='mmwidth', locations=locations)


RUNNERS = _child(mmengine_registry.RUNNERS, [])
LOOPS = _child(mmengine_registry.LOOPS, ['mmwidth.search'])
HOOKS = _child(mmengine_registry.HOOKS, ['mmwidth.hooks'])
DATASETS = _child(mmengine_registry.DATASETS, ['mmwidth.datasets'])
DATA_SAMPLERS = _child(mmengine_registry.DATA_SAMPLERS, [])
TRANSFORMS = _child(mmengine_registry.TRANSFORMS, [])
MODELS = _child(mmengine_registry.MODELS, ['mmwidth.algorithms', 'mmwidth.models', 'mmwidth.export'])
MODEL_WRAPPERS = _child(mmengine_registry.MODEL_WRAPPERS, ['mmwidth.algorithms'])
OPTIM_WRAPPERS = _child(mmengine_registry.OPTIM_WRAPPERS, [])
PARAM_SCHEDULERS = _child(mmengine_registry.PARAM_SCHEDULERS, [])
METRICS = _child(mmengine_registry.METRICS, ['mmwidth.evaluation'])
EVALUATOR = _child(mmengine_registry.EVALUATOR, [])
TASK_UTILS = _child(mmengine_registry.TASK_UTILS, ['mmwidth.search', 'mmwidth.ground_truth'])
VISUALIZERS = _child(mmengine_registry.VISUALIZERS, [])
VISBACKENDS = _child(mmengine_registry.VISBACKENDS, [])
CHANNEL_LAYERS = Registry('channel layer', scope='mmwidth',
                          locations=['mmwidth.layers.conv', 'mmwidth.layers.linear', 'mmwidth.layers.norm',
                                     'mmwidth.layers.attention', 'mmwidth.layers.qkv_attention',
                                     'mmwidth.layers.parameter'])
CHANNEL_OPS = Registry('channel op', scope='mmwidth', locations=['mmwidth.space.ops'])
LATENCY_RUNTIMES = Registry('latency runtime', scope='mmwidth', locations=['mmwidth.latency.runtimes'])
