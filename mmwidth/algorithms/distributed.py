"""One DDP wrapper for every width-search algorithm."""
from typing import Dict, List, Union

import torch
from mmengine.logging import print_log
from mmengine.model import MMDistributedDataParallel, revert_sync_batchnorm
from mmengine.optim import OptimWrapper
from mmengine.utils.dl_utils import mmcv_full_available
from torch.nn.parallel import DistributedDataParallel

from ..registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class WidthSearchDDP(MMDistributedDataParallel):
    """Runs the algorithm's own multi-pass ``train_step`` with each forward pass going through DDP, so that the
    gradients are synchronised across ranks once per step (the algorithm's last backward pass, see
    ``gradient_sync``).

    MMEngine's wrapper would run one forward pass and one update itself; width-search steps run several
    (left and right paths, sandwich subnets, placements). The algorithm's bookkeeping buffers (sampler state,
    loss records) are not broadcast on each forward: the algorithm keeps them identical itself; norm statistics
    are, as DDP does. Plain models train as with MMEngine's wrapper. Works on CPU (gloo) as well as GPUs; on CPUs,
    SyncBN layers (the COCO configs' backbones), which DDP refuses in CPU modules, become BN with each process's
    own statistics, as MMEngine does outside distributed runs.
    """

    def __init__(self, module: torch.nn.Module, device_ids=None, **kwargs):
        if next(module.parameters()).device.type == 'cpu':
            device_ids = None  # DDP takes no device ids for CPU modules
            module = _cpu_batch_norms(module)
        DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(module, self.unbroadcast_buffers(module))
        super().__init__(module=module, device_ids=device_ids, **kwargs)

    @staticmethod
    def unbroadcast_buffers(module: torch.nn.Module) -> List[str]:
        return list(getattr(module, 'bookkeeping_buffers', ()))

    def train_step(self, data: Union[dict, tuple, list], optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        if not hasattr(self.module, 'forward_through'):  # a plain model (e.g. an exported subnet)
            return super().train_step(data, optim_wrapper)
        with self.module.forward_through(self):
            return self.module.train_step(data, optim_wrapper)


def _sync_batch_norm_classes() -> tuple:
    """The SyncBN classes MMEngine's ``revert_sync_batchnorm`` turns into BN (mmcv's needs its compiled ops)."""
    if not mmcv_full_available():
        return (torch.nn.SyncBatchNorm, )
    from mmcv.ops import SyncBatchNorm
    return torch.nn.SyncBatchNorm, SyncBatchNorm


def _cpu_batch_norms(module: torch.nn.Module) -> torch.nn.Module:
    classes = _sync_batch_norm_classes()
    synced = sum(isinstance(layer, classes) for layer in module.modules())
    if not synced:
        return module
    print_log(f'{synced} SyncBN layers run as BN on CPU (each process keeps its own batch statistics)',
              logger='current')
    return revert_sync_batchnorm(module)
