"""The two macro spaces of Channel-Bench-Macro as mmpretrain-style backbones (32x32 CIFAR-10 input).

Each space has 7 searchable widths with 4 choices each (digit d keeps d/4 of the layer's maximum), so an
architecture is a 7-digit string such as ``'4432214'``. The supernet of a width search is the all-4 network.
``max_channels`` scales a space down (the embedded ground truths use the same macro structure with a fraction of
the benchmark's channels, narrow enough for width to limit accuracy on small tasks).
Both backbones return a one-element tuple with the final feature map, like mmpretrain backbones, and are meant
to be followed by ``GlobalAveragePooling`` and a 10-class ``LinearClsHead``.
"""
from typing import Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import nn

from ..registry import MODELS
from ..utils.errors import ConfigError


def arch_channels(arch: str, max_channels: Sequence[int]) -> Tuple[int, ...]:
    """Channels of a 7-digit architecture string: digit d keeps d/4 of each maximum."""
    if len(arch) != len(max_channels) or any(d not in '1234' for d in arch):
        raise ConfigError(f'a Channel-Bench-Macro arch is {len(max_channels)} digits in 1-4, got "{arch}"')
    return tuple(int(d) * m // 4 for d, m in zip(arch, max_channels))


def _conv_bn(in_channels: int, out_channels: int, kernel: int, stride: int = 1, groups: int = 1):
    return (nn.Conv2d(in_channels, out_channels, kernel, stride, kernel // 2, groups=groups, bias=False),
            nn.BatchNorm2d(out_channels))


class ResidualBlock(nn.Module):
    """Two 3x3 conv+BN (``in -> mid -> out``) with an identity shortcut when shapes allow; ReLU after the add."""

    def __init__(self, in_channels: int, mid_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        self.conv1, self.bn1 = _conv_bn(in_channels, mid_channels, 3, stride)
        self.conv2, self.bn2 = _conv_bn(mid_channels, out_channels, 3)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + x if self.shortcut else out)


class InvertedResidual(nn.Module):
    """1x1 expand, 3x3 depthwise, 1x1 project (each with BN; ReLU after the first two); identity when shapes
    allow, no activation after the add."""

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        self.conv1, self.bn1 = _conv_bn(in_channels, hidden_channels, 1)
        self.conv2, self.bn2 = _conv_bn(hidden_channels, hidden_channels, 3, stride, groups=hidden_channels)
        self.conv3, self.bn3 = _conv_bn(hidden_channels, out_channels, 1)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return out + x if self.shortcut else out


def check_max_channels(max_channels: Sequence[int], default: Sequence[int]) -> Tuple[int, ...]:
    """The 7 maxima of a (scaled) space: positive multiples of 4, so that every digit keeps a whole number of
    channels."""
    values = tuple(max_channels)
    if len(values) != len(default) or any(isinstance(v, bool) or not isinstance(v, int) or v < 4 or v % 4
                                          for v in values):
        raise ConfigError(f'max_channels must be {len(default)} positive multiples of 4 (the benchmark\'s are '
                          f'{tuple(default)}), got {max_channels!r}')
    return values


class _CBMBackbone(BaseModule):
    MAX_CHANNELS: Tuple[int, ...] = ()

    def __init__(self, arch: str = '4444444', max_channels: Optional[Sequence[int]] = None, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.arch = arch
        self.max_channels = check_max_channels(max_channels or self.MAX_CHANNELS, self.MAX_CHANNELS)
        self.channels = arch_channels(arch, self.max_channels)
        self.stem_conv, self.stem_bn = _conv_bn(3, self.channels[0], 3, stride=2)
        self.relu = nn.ReLU(inplace=True)

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.stem_bn(self.stem_conv(x)))


@MODELS.register_module()
class CBMResNet(_CBMBackbone):
    """Channel-Bench-Macro ResNet space: stem (c0) -> 2 residual blocks (c1, c2) at 16x16 -> a stride-2 block
    without shortcut (c3 -> c4) -> 2 residual blocks (c5, c6) at 8x8. Output: c4 channels."""
    MAX_CHANNELS = (256, 256, 256, 512, 512, 512, 512)

    def __init__(self, arch: str = '4444444', max_channels: Optional[Sequence[int]] = None, init_cfg=None):
        super().__init__(arch, max_channels, init_cfg)
        c0, c1, c2, c3, c4, c5, c6 = self.channels
        self.layer1 = nn.Sequential(ResidualBlock(c0, c1, c0), ResidualBlock(c0, c2, c0))
        self.layer2 = nn.Sequential(ResidualBlock(c0, c3, c4, stride=2), ResidualBlock(c4, c5, c4),
                                    ResidualBlock(c4, c6, c4))
        self.out_channels = c4

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor]:
        return (self.layer2(self.layer1(self.stem(x))), )


@MODELS.register_module()
class CBMMobileNet(_CBMBackbone):
    """Channel-Bench-Macro MobileNet space: stem (c0) -> 2 inverted residuals (hidden c1, c2) at 16x16 -> a
    stride-2 inverted residual (hidden c3, out c4) -> one inverted residual (hidden c5) at 8x8 -> 1x1 conv to c6.
    Output: c6 channels."""
    MAX_CHANNELS = (128, 768, 768, 768, 256, 1536, 1024)

    def __init__(self, arch: str = '4444444', max_channels: Optional[Sequence[int]] = None, init_cfg=None):
        super().__init__(arch, max_channels, init_cfg)
        c0, c1, c2, c3, c4, c5, c6 = self.channels
        self.layer1 = nn.Sequential(InvertedResidual(c0, c1, c0), InvertedResidual(c0, c2, c0))
        self.layer2 = nn.Sequential(InvertedResidual(c0, c3, c4, stride=2), InvertedResidual(c4, c5, c4))
        self.conv_out, self.bn_out = _conv_bn(c4, c6, 1)
        self.out_channels = c6

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor]:
        x = self.layer2(self.layer1(self.stem(x)))
        return (self.relu(self.bn_out(self.conv_out(x))), )
