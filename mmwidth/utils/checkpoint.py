"""Loading MMEngine checkpoints under torch's weights-only unpickler.

Since torch 2.6, ``torch.load`` defaults to ``weights_only=True``, which refuses the non-tensor objects MMEngine 0.10
writes into its checkpoints: the ``HistoryBuffer`` log scalars and numpy values of the message hub, and the static
annealing function of ``OneCycleParamScheduler``. Rather than switching weight-only loading off, exactly those globals
are allow-listed.
"""
import importlib
import os.path as osp
import pickle
import zipfile
from typing import Callable, Optional, Union

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.optim.scheduler.param_scheduler import OneCycleParamScheduler

from torch import nn

from .errors import CheckpointError

# Functions defined in a class, which pickle (protocol 2) writes as ``getattr(owner, name)``.
_CLASS_FUNCTIONS = ((HistoryBuffer, 'min'), (HistoryBuffer, 'max'), (HistoryBuffer, 'current'),
                    (HistoryBuffer, 'mean'), (OneCycleParamScheduler, '_annealing_cos'),
                    (OneCycleParamScheduler, '_annealing_linear'))


def _class_function(owner: object, name: str) -> Callable:
    """``getattr`` limited to ``_CLASS_FUNCTIONS``, so that a checkpoint cannot reach any other attribute."""
    if not any(owner is cls and name == attr for cls, attr in _CLASS_FUNCTIONS):
        raise pickle.UnpicklingError(f'getattr({owner!r}, {name!r})')
    return getattr(owner, name)


def _numpy_globals() -> list:
    """Arrays, scalars and the float64/int64 dtypes of the message hub, under the module names of both numpy 1.x
    (``numpy.core``) and 2.x (``numpy._core``), so that either reads the checkpoints of the other."""
    try:
        multiarray = importlib.import_module('numpy._core.multiarray')
    except ImportError:  # numpy 1.x without the ``numpy._core`` alias
        multiarray = importlib.import_module('numpy.core.multiarray')
    entries: list = [np.ndarray, np.dtype, type(np.dtype(np.float64)), type(np.dtype(np.int64))]
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        entries += [(multiarray._reconstruct, f'{module}._reconstruct'), (multiarray.scalar, f'{module}.scalar')]
    return entries


def register_checkpoint_globals() -> None:
    """Allow-lists for ``weights_only`` loading what MMEngine checkpoints hold; idempotent (torch keeps a set)."""
    torch.serialization.add_safe_globals(
        [HistoryBuffer, OneCycleParamScheduler, (_class_function, 'builtins.getattr'), *_numpy_globals()])


def check_checkpoint_file(path: str) -> None:
    """Fails with one line naming ``path`` unless it is a complete checkpoint in torch's zip format (a missing,
    truncated or foreign file); reads only the archive's directory, not the tensors."""
    if not osp.isfile(path):
        raise CheckpointError(f'checkpoint not found: {path}')
    try:
        with zipfile.ZipFile(path) as archive:
            archive.namelist()
    except (zipfile.BadZipFile, OSError) as err:
        raise CheckpointError(f'checkpoint {path} is truncated or not a torch checkpoint: {err}') from err


def load_checkpoint_file(path: str, map_location: Union[str, torch.device] = 'cpu') -> dict:
    """``torch.load`` with weights only of a checkpoint in torch's zip format, failing with one line that names the
    file and the globals that are not allow-listed."""
    check_checkpoint_file(path)
    try:
        return torch.load(path, map_location=map_location)
    except (RuntimeError, EOFError, zipfile.BadZipFile) as err:  # a damaged archive or record
        raise CheckpointError(f'cannot read checkpoint {path}: {str(err).splitlines()[0]}') from err
    except pickle.UnpicklingError as err:
        unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(path)
        # No unknown global: an allowed one was misused (a getattr); the first paragraph of torch's reason names it.
        offending = ', '.join(sorted(unsafe)) or str(err).split('WeightsUnpickler error:')[-1].strip().split('\n\n')[0]
        raise CheckpointError(f'checkpoint {path} contains {offending} which is not an allow-listed MMEngine type; '
                           'load it with `weights_only=False` only if you trust its source') from err


def load_weights_strictly(model: nn.Module, path: str, checkpoint: Optional[dict] = None) -> None:
    """Loads the weights of checkpoint ``path`` (``checkpoint``: its content when already read) into ``model``
    strictly, failing with one line naming what does not fit (missing or unexpected keys, other shapes): weights
    of another model must not pass silently, nor a supernet's records (e.g. BCNet's loss records) go missing."""
    checkpoint = load_checkpoint_file(path) if checkpoint is None else checkpoint
    state_dict = checkpoint.get('state_dict', checkpoint)
    expected = model.state_dict()
    missing = [key for key in expected if key not in state_dict]
    unexpected = [key for key in state_dict if key not in expected]
    try:
        model.load_state_dict(state_dict, strict=True)
    except RuntimeError as err:
        detail = f'{len(missing)} missing keys (e.g. {missing[:2]}), {len(unexpected)} unexpected (e.g. ' \
                 f'{unexpected[:2]})' if missing or unexpected else str(err).splitlines()[-1].strip()
        raise CheckpointError(f'checkpoint {path} does not fit the model of this config: {detail}') from err
