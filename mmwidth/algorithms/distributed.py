"""One DDP wrapper for every width-search algorithm."""
from typing import Dict, Union

import torch
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper

from ..registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class WidthSearchDDP(MMDistributedDataParallel):
    """Runs the algorithm's own multi-pass ``train_step`` with each forward pass going through DDP, so that the
    gradients of every backward pass are synchronised across ranks.

    MMEngine's wrapper would run one forward pass and one update itself; width-search steps run several
    (left and right paths, sandwich subnets, placements). Plain models train as with MMEngine's wrapper. Works
    on CPU (gloo) as well as GPUs.
    """

    def __init__(self, module: torch.nn.Module, device_ids=None, **kwargs):
        if next(module.parameters()).device.type == 'cpu':
            device_ids = None  # DDP takes no device ids for CPU modules
        super().__init__(module=module, device_ids=device_ids, **kwargs)

    def train_step(self, data: Union[dict, tuple, list], optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        if not hasattr(self.module, 'forward_through'):  # a plain model (e.g. an exported subnet)
            return super().train_step(data, optim_wrapper)
        with self.module.forward_through(self):
            return self.module.train_step(data, optim_wrapper)
