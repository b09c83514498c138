"""Subnet files: JSON objects mapping every group name to its number of channels."""
import json
import os.path as osp
from typing import Dict, Mapping

from ..utils.errors import WidthSearchError


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


def save_subnet(path: str, subnet: Mapping[str, int]) -> None:
    with open(path, 'w') as f:
        json.dump(dict(subnet), f, indent=2)
        f.write('\n')
