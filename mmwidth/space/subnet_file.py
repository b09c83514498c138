"""Subnet files: JSON objects mapping every group name to its number of channels, or to
``{"channels": k, "indices": [...]}`` when the kept channels are given themselves (a pruning result such as
Dagger's, whose channels lie anywhere in the group)."""
import json
import os.path as osp
from typing import Dict, Mapping, Optional

import torch

from ..sharing.index_sets import IndexSet, left
from ..utils.errors import WidthSearchError
from ..utils.files import atomic_write


def load_subnet(path: str) -> Dict[str, object]:
    """Reads a subnet file (a search result holding a ``subnet`` entry is accepted too); checks nothing about
    the width space, see :meth:`WidthSpace.check_subnet`."""
    if not osp.isfile(path):
        raise WidthSearchError(f'subnet file not found: {path}')
    try:
        with open(path) as f:
            data = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise WidthSearchError(f'subnet file {path} is not valid JSON: {err}') from err
    if isinstance(data, dict) and isinstance(data.get('subnet'), dict):
        data = data['subnet']
    if not isinstance(data, dict):
        raise WidthSearchError(f'subnet file {path} must hold a JSON object of group name -> channels')
    return data


def save_subnet(path: str, subnet: Mapping[str, object]) -> None:
    with atomic_write(path) as f:
        json.dump(dict(subnet), f, indent=2)
        f.write('\n')


def has_kept_indices(subnet: Mapping[str, object]) -> bool:
    """Whether any group of a subnet file lists its kept channels."""
    return any(isinstance(entry, Mapping) for entry in subnet.values())


def kept_index_sets(subnet: Mapping[str, object], channels: Mapping[str, int]) -> Dict[str, IndexSet]:
    """The index set of every group of a checked subnet file: its listed channels (a sorted ``LongTensor``),
    or the leftmost ones for a plain channel count (``channels``: each group's full width)."""
    index_sets: Dict[str, IndexSet] = {}
    for name, entry in subnet.items():
        if isinstance(entry, Mapping):
            indices = torch.tensor(entry['indices'], dtype=torch.long)
            index_sets[name] = None if len(indices) == channels[name] else indices
        else:
            index_sets[name] = left(channels[name], int(entry))
    return index_sets


def kept_entries(index_sets: Mapping[str, Optional[torch.Tensor]],
                 channels: Mapping[str, int]) -> Dict[str, dict]:
    """Subnet-file entries ``{"channels": k, "indices": [...]}`` of index sets (``None``: every channel)."""
    entries = {}
    for name, index in index_sets.items():
        indices = list(range(channels[name])) if index is None else [int(i) for i in index]
        entries[name] = dict(channels=len(indices), indices=indices)
    return entries
