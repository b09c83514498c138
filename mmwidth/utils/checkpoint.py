"""Loading MMEngine checkpoints under torch's weights-only unpickler.

Since torch 2.6, ``torch.load`` defaults to ``weights_only=True``, which refuses the non-tensor objects MMEngine 0.10
writes into its checkpoints: the ``HistoryBuffer`` log scalars and numpy values of the message hub, and the static
annealing function of ``OneCycleParamScheduler``. Rather than switching weight-only loading off, exactly those globals
are allow-listed.
"""
import hashlib
import importlib
import os.path as osp
import pickle
import re
import zipfile
from typing import Callable, List, Optional, Union

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.optim.scheduler.param_scheduler import OneCycleParamScheduler

from torch import nn

from .errors import CheckpointError
from .files import atomic_write

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


def checkpoint_weights(checkpoint: dict) -> dict:
    """The state dict of a checkpoint (or the checkpoint itself, a bare state dict), without the ``module.``
    prefix of a DDP-wrapped model (as MMEngine's runner strips it)."""
    return {re.sub(r'^module\.', '', key): value for key, value in checkpoint.get('state_dict', checkpoint).items()}


def model_record(model: nn.Module) -> dict:
    """What a checkpoint of ``model`` records in ``meta['mmwidth']`` and what a checkpoint loaded into it must
    match: the model (``BCNet``, ``SlimmedModel``, ``ImageClassifier``...), its width space's fingerprint and an
    exported model's subnet, as the model states them (``mmwidth_record``), else its class name."""
    return dict(getattr(model, 'mmwidth_record', None) or dict(model=type(model).__name__))


def _record_mismatch(saved: dict, expected: dict) -> Optional[str]:
    """How the record of a checkpoint differs from that of the model it is loaded into (None: it does not)."""
    if saved.get('model') != expected.get('model'):
        return f'it is a checkpoint of {saved.get("model")}, this config builds {expected.get("model")}'
    if 'space' in expected and saved.get('space') != expected['space']:
        return f'it was trained on another width space (fingerprint {saved.get("space")}, this config\'s ' \
               f'{expected.get("space")})'
    if 'subnet' in expected and saved.get('subnet') != expected['subnet']:
        saved_subnet, subnet = saved.get('subnet') or {}, expected.get('subnet') or {}
        differ = [f'{name} {saved_subnet.get(name)} vs {subnet.get(name)}' for name in {**saved_subnet, **subnet}
                  if saved_subnet.get(name) != subnet.get(name)]
        return f'it holds another subnet ({", ".join(differ[:3])}{", ..." if len(differ) > 3 else ""})'
    return None


def check_fits(model: nn.Module, checkpoint: dict, path: str, partial: bool = False) -> List[str]:
    """Fails with one line naming ``path`` unless the checkpoint's weights fit ``model``: another model, width
    space or subnet (by the checkpoint's ``meta['mmwidth']`` record), missing or unexpected keys, other shapes.

    Args:
        partial: a deliberate partial load (``load_partial=True``, e.g. a supernet into Dagger): keys on one side
            only and the records are let pass, but the shared keys must have the model's shapes and be some.

    Returns:
        The keys of the model the checkpoint does not hold (empty unless ``partial``), for the log.
    """
    state_dict = checkpoint_weights(checkpoint)
    expected = model.state_dict()
    saved = ((checkpoint.get('meta') or {}).get('mmwidth') if 'state_dict' in checkpoint else None)
    mismatch = None if partial or saved is None else _record_mismatch(saved, model_record(model))
    if mismatch:
        raise CheckpointError(f'checkpoint {path} does not fit the model of this config: {mismatch}')
    missing = [key for key in expected if key not in state_dict]
    unexpected = [key for key in state_dict if key not in expected]
    shapes = [f'{key} {list(state_dict[key].shape)} vs {list(value.shape)}' for key, value in expected.items()
              if key in state_dict and hasattr(state_dict[key], 'shape') and state_dict[key].shape != value.shape]
    problems = [] if partial else [f'{len(keys)} {kind} keys (e.g. {keys[:2]})'
                                   for kind, keys in (('missing', missing), ('unexpected', unexpected)) if keys]
    problems += [f'{len(shapes)} other shapes (e.g. {shapes[:2]})'] if shapes else []
    if partial and len(missing) == len(expected):
        problems.append(f'no key in common (e.g. {unexpected[:2]} against {missing[:2]})')
    if problems:
        raise CheckpointError(f'checkpoint {path} does not fit the model of this config: {", ".join(problems)}'
                              + (' (a partial load, load_partial=True)' if partial else ''))
    return missing


def load_weights_strictly(model: nn.Module, path: str, checkpoint: Optional[dict] = None) -> None:
    """Loads the weights of checkpoint ``path`` (``checkpoint``: its content when already read) into ``model``
    after :func:`check_fits`: weights of another model must not pass silently, nor a supernet's records (e.g.
    BCNet's loss records) go missing."""
    checkpoint = load_checkpoint_file(path) if checkpoint is None else checkpoint
    check_fits(model, checkpoint, path)
    model.load_state_dict(checkpoint_weights(checkpoint), strict=True)


def weights_fingerprint(model: nn.Module) -> str:
    """A short content hash of a model's weights and buffers (names, shapes, values), whatever file they came
    from: what a resumed search must find loaded again."""
    digest = hashlib.sha1()
    for key, value in model.state_dict().items():
        digest.update(f'{key}{list(value.shape)}{value.dtype}'.encode())
        digest.update(value.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes()
                      if value.numel() else b'')
    return digest.hexdigest()[:16]


def save_checkpoint_atomically(checkpoint: dict, path: str) -> None:
    """``torch.save`` through a temporary file of the same directory renamed over ``path``: a crash or a full disk
    leaves the previous file (or none), never a truncated one."""
    with atomic_write(path, binary=True) as f:
        torch.save(checkpoint, f)
