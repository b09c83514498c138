"""A user's own backbone, registered in mmpretrain's scope as any mmpretrain user would: two branches
concatenated, a squeeze-excite gate and residual adds. mmwidth traces it without any table of its layers."""
import torch
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from torch import nn


def conv_bn(in_channels: int, out_channels: int, kernel: int = 3, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel, stride, kernel // 2, bias=False),
        nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


class MixedBlock(nn.Module):
    """A 1x1 and a 3x3 branch concatenated, gated by squeeze-excite, added to the input."""

    def __init__(self, channels: int, branch: int):
        super().__init__()
        self.branch1 = conv_bn(channels, branch, 1)
        self.branch3 = conv_bn(channels, branch, 3)
        self.fuse = nn.Sequential(nn.Conv2d(2 * branch, channels, 1, bias=False), nn.BatchNorm2d(channels))
        self.squeeze = nn.Conv2d(channels, channels // 4, 1)
        self.excite = nn.Conv2d(channels // 4, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.fuse(torch.cat([self.branch1(x), self.branch3(x)], dim=1))
        gate = torch.sigmoid(self.excite(torch.relu(self.squeeze(out.mean((2, 3), keepdim=True)))))
        return torch.relu(x + out * gate)


@MODELS.register_module()
class TinyInception(BaseModule):

    def __init__(self, channels: int = 64, branch: int = 48, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.stem = conv_bn(3, channels, stride=2)
        self.stage1 = nn.Sequential(MixedBlock(channels, branch), MixedBlock(channels, branch))
        self.down = conv_bn(channels, 2 * channels, stride=2)
        self.stage2 = nn.Sequential(MixedBlock(2 * channels, 2 * branch), MixedBlock(2 * channels, 2 * branch))

    def forward(self, x: torch.Tensor):
        return (self.stage2(self.down(self.stage1(self.stem(x)))), )
