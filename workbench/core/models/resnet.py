"""A small residual network (pre-activation-free, CIFAR-style basic blocks)."""
from __future__ import annotations

import torch
from torch import nn

from workbench.core.models.registry import MODELS
from workbench.core.config.params import Param

PARAMS = (
    Param("width", "int", 16, "channels of the first stage (doubled at each later stage)",
          minimum=1, maximum=1024),
    Param("blocks", "int_list", [1, 1, 1], "residual blocks per stage; each later stage halves "
          "the resolution", minimum=1, maximum=32),
)


class BasicBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))


@MODELS.register("resnet", params=PARAMS, help="small ResNet with basic blocks and global pooling")
def build_resnet(input_shape: tuple[int, ...], num_classes: int, width: int = 16,
                 blocks: list[int] | None = None) -> nn.Module:
    blocks = [1, 1, 1] if blocks is None else blocks
    in_channels = input_shape[0]
    layers: list[nn.Module] = [nn.Conv2d(in_channels, width, 3, 1, 1, bias=False),
                               nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
    channels = width
    for stage, count in enumerate(blocks):
        out_channels = width * 2 ** stage
        for index in range(count):
            stride = 2 if stage > 0 and index == 0 else 1
            layers.append(BasicBlock(channels, out_channels, stride))
            channels = out_channels
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes)]
    return nn.Sequential(*layers)
