# Runtime shared by mmwidth's configs, after mmpretrain's default_runtime.
default_scope = 'mmpretrain'
# registers mmwidth's datasets, models, hooks and checkpoint allow-list in every process the runner starts
custom_imports = dict(imports=['mmwidth'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # on GPUs; CPU-only torchrun launches start a gloo process group themselves (mmwidth.utils.distributed)
    dist_cfg=dict(backend='nccl'),
)
# DDP that runs a width-search algorithm's multi-pass train step (and plain models as usual), on GPUs or CPUs
model_wrapper_cfg = dict(type='mmwidth.WidthSearchDDP')

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
