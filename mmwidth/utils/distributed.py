"""Starting distributed runs on machines without GPUs."""
import os

import torch
import torch.distributed as torch_dist

from .errors import ConfigError


def init_cpu_distributed(launcher: str) -> None:
    """Starts a gloo process group for a CPU-only ``torchrun`` launch.

    MMEngine 0.10's pytorch launcher always selects a CUDA device first, which fails without one; the runner
    skips its own initialisation when a process group already exists. With GPUs nothing is done here.
    """
    if launcher == 'none' or torch_dist.is_initialized() or torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise ConfigError(f'--launcher {launcher} needs GPUs; on CPUs launch with torchrun and --launcher pytorch')
    missing = [name for name in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT') if name not in os.environ]
    if missing:
        raise ConfigError(f'--launcher pytorch expects the environment torchrun sets ({", ".join(missing)} '
                          'missing); start with torchrun or tools/dist_train.sh')
    torch_dist.init_process_group(backend='gloo')
