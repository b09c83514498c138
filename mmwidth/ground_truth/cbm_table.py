"""Channel-Bench-Macro tables: arch strings <-> subnets, the spaces' closed-form costs, and table checks.

A table (``Results_ResNet.json`` / ``Results_MobileNet.json``) maps each 7-digit arch to
``{"acc": [3 runs], "mean", "std", "flops", "params"}``; flops are MACs of conv + linear layers and params count
every trainable parameter, at a 3x32x32 input.
"""
import json
import os.path as osp
from typing import Dict, Iterator, Mapping, Optional, Sequence, Tuple

import numpy as np

from ..registry import MODELS
from ..space.width_space import WidthSpace
from ..utils.errors import WidthSearchError
from ..models.cbm_backbones import CBMMobileNet, CBMResNet, arch_channels, check_max_channels

INPUT_SHAPE = (3, 32, 32)
BACKBONES = dict(resnet=CBMResNet, mobilenet=CBMMobileNet)
# The group each digit of an arch string sets, as the tracer names them.
DIGIT_GROUPS = dict(
    resnet=('backbone.layer1.residual', 'backbone.layer1.0.conv1', 'backbone.layer1.1.conv1',
            'backbone.layer2.0.conv1', 'backbone.layer2.residual', 'backbone.layer2.1.conv1',
            'backbone.layer2.2.conv1'),
    mobilenet=('backbone.layer1.residual', 'backbone.layer1.0.conv1', 'backbone.layer1.1.conv1',
               'backbone.layer2.0.conv1', 'backbone.layer2.residual', 'backbone.layer2.1.conv1',
               'backbone.conv_out'))
RATIOS = (0.25, 0.5, 0.75, 1.0)


def _check_space(space: str) -> None:
    if space not in BACKBONES:
        raise WidthSearchError(f'unknown Channel-Bench-Macro space "{space}"; choose one of {sorted(BACKBONES)}')


def space_maxima(space: str, max_channels: Optional[Sequence[int]] = None) -> Tuple[int, ...]:
    """The 7 maximum widths of a space: the benchmark's, or those of a scaled-down copy."""
    _check_space(space)
    return check_max_channels(max_channels or BACKBONES[space].MAX_CHANNELS, BACKBONES[space].MAX_CHANNELS)


def cbm_model_cfg(space: str, arch: str = '4444444', num_classes: int = 10,
                  max_channels: Optional[Sequence[int]] = None) -> dict:
    """An mmpretrain classifier config for one arch of a space (the all-4 arch is the supernet), at the
    benchmark's widths or at ``max_channels``."""
    maxima = space_maxima(space, max_channels)
    backbone = dict(type=f'mmwidth.{BACKBONES[space].__name__}', arch=arch)
    if max_channels is not None:
        backbone.update(max_channels=list(maxima))
    return dict(
        type='mmpretrain.ImageClassifier',
        _scope_='mmpretrain',  # its data preprocessor and loss are built in mmpretrain whatever the caller's scope
        backbone=backbone,
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(type='mmpretrain.LinearClsHead', num_classes=num_classes,
                  in_channels=arch_channels(arch, maxima)[4 if space == 'resnet' else 6],
                  loss=dict(type='mmpretrain.CrossEntropyLoss', loss_weight=1.0)))


def cbm_width_space(space: str) -> WidthSpace:
    """The traced width space of a Channel-Bench-Macro space: 7 groups with 4 choices each."""
    model = MODELS.build(cbm_model_cfg(space))
    width_space = WidthSpace.from_model(model, INPUT_SHAPE, ratios=RATIOS)
    if tuple(width_space.names) != DIGIT_GROUPS[space]:
        raise WidthSearchError(f'the traced {space} space has groups {width_space.names}, expected the 7 groups '
                               f'{list(DIGIT_GROUPS[space])}')
    return width_space


def arch_to_subnet(space: str, arch: str, max_channels: Optional[Sequence[int]] = None) -> Dict[str, int]:
    return dict(zip(DIGIT_GROUPS[space], arch_channels(arch, space_maxima(space, max_channels))))


def subnet_to_arch(space: str, subnet: Mapping[str, int], max_channels: Optional[Sequence[int]] = None) -> str:
    """The arch string of a subnet whose every width is a quarter step of its group."""
    digits = []
    for name, full in zip(DIGIT_GROUPS[space], space_maxima(space, max_channels)):
        digit, rest = divmod(subnet[name] * 4, full)
        if rest or not 1 <= digit <= 4:
            raise WidthSearchError(f'{name}={subnet[name]} is not a Channel-Bench-Macro width of {full} channels')
        digits.append(str(digit))
    return ''.join(digits)


def all_archs() -> Iterator[str]:
    for number in range(4**7):
        yield ''.join(str(1 + (number // 4**k) % 4) for k in reversed(range(7)))


def closed_form(space: str, arch: str) -> Tuple[int, int]:
    """FLOPs and params of an arch from the benchmark's closed forms (independent of any traced model)."""
    c0, c1, c2, c3, c4, c5, c6 = arch_channels(arch, BACKBONES[space].MAX_CHANNELS)
    s1, s2 = 16 * 16, 8 * 8
    if space == 'resnet':
        flops = 27 * c0 * s1 + 18 * c0 * (c1 + c2) * s1 + 9 * c0 * c3 * s2 + 9 * c3 * c4 * s2 + \
            18 * c4 * (c5 + c6) * s2 + 10 * c4
        params = 27 * c0 + 18 * c0 * (c1 + c2) + 9 * c0 * c3 + 9 * c3 * c4 + 18 * c4 * (c5 + c6) + \
            2 * (3 * c0 + c1 + c2 + c3 + 3 * c4 + c5 + c6) + 10 * c4 + 10
        return flops, params
    blocks_a = sum(2 * c0 * h + 9 * h for h in (c1, c2))  # the two inverted residuals at 16x16
    flops = 27 * c0 * s1 + blocks_a * s1 + c0 * c3 * s1 + (9 * c3 + c3 * c4) * s2 + \
        (2 * c4 * c5 + 9 * c5) * s2 + c4 * c6 * s2 + 10 * c6
    params = 27 * c0 + blocks_a + c0 * c3 + 9 * c3 + c3 * c4 + \
        2 * c4 * c5 + 9 * c5 + c4 * c6 + 2 * (3 * c0 + 2 * c1 + 2 * c2 + 2 * c3 + 2 * c4 + 2 * c5 + c6) + \
        10 * c6 + 10
    return flops, params


def load_cbm_table(path: str) -> Dict[str, dict]:
    """Reads a Channel-Bench-Macro table, checking its arch keys and fields."""
    if not osp.isfile(path):
        raise WidthSearchError(f'Channel-Bench-Macro table not found: {path}')
    try:
        with open(path) as f:
            table = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise WidthSearchError(f'{path} is not valid JSON: {err}') from err
    if not isinstance(table, dict) or not table:
        raise WidthSearchError(f'{path}: expected a JSON object of arch string -> record')
    for arch, record in table.items():
        if len(arch) != 7 or any(d not in '1234' for d in arch):
            raise WidthSearchError(f'{path}: "{arch}" is not a 7-digit Channel-Bench-Macro arch')
        missing = {'mean', 'flops', 'params'} - set(record if isinstance(record, dict) else ())
        if missing:
            raise WidthSearchError(f'{path}: arch {arch} lacks {sorted(missing)}')
    return table


def check_cbm_table(space: str, table_path: Optional[str] = None) -> dict:
    """Traces a space and checks the estimator's FLOPs/params on every arch of a table, or on all 16384 archs
    against the closed forms when no table is given."""
    width_space = cbm_width_space(space)
    if table_path is not None:
        table = load_cbm_table(table_path)
        reference = {arch: (rec['flops'], rec['params']) for arch, rec in table.items()}
    else:
        reference = {arch: closed_form(space, arch) for arch in all_archs()}
    archs = list(reference)
    widths = np.array([[arch_to_subnet(space, a)[n] for n in width_space.names] for a in archs])
    estimated = width_space.estimator.batch(widths)
    expected = np.array([reference[a] for a in archs], dtype=np.int64)
    return dict(space=space, reference='table' if table_path else 'closed form', checked=len(archs),
                flops_mismatch=int((estimated['flops'] != expected[:, 0]).sum()),
                params_mismatch=int((estimated['params'] != expected[:, 1]).sum()),
                groups=[dict(name=g.name, channels=g.channels) for g in width_space.groups])
