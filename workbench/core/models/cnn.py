"""Plain convolutional network: conv blocks with pooling, then a small classifier."""
from __future__ import annotations

from torch import nn

from workbench.core.models.registry import MODELS
from workbench.core.config.params import Param

PARAMS = (
    Param("channels", "int_list", [32, 64], "output channels of each block (one 2x2 pool per block)",
          minimum=1, maximum=4096),
    Param("convs_per_block", "int", 2, "3x3 convolutions in each block", minimum=1, maximum=8),
    Param("batch_norm", "bool", True, "batch normalization after each convolution"),
    Param("hidden", "int", 256, "units of the hidden dense layer (0 = none)", minimum=0,
          maximum=65536),
    Param("dropout", "float", 0.0, "dropout before each dense layer", minimum=0.0, maximum=0.9),
)


@MODELS.register("cnn", params=PARAMS, help="conv blocks + pooling (+ batch norm) + dense head")
def build_cnn(input_shape: tuple[int, ...], num_classes: int, channels: list[int],
              convs_per_block: int = 2, batch_norm: bool = True, hidden: int = 256,
              dropout: float = 0.0) -> nn.Module:
    in_channels, height, width = input_shape
    layers: list[nn.Module] = []
    for out_channels in channels:
        for _ in range(convs_per_block):
            layers.append(nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm2d(out_channels))
            layers.append(nn.ReLU(inplace=True))
            in_channels = out_channels
        layers.append(nn.MaxPool2d(2))
        height, width = height // 2, width // 2
    layers.append(nn.Flatten())
    features = in_channels * height * width
    if hidden:
        if dropout:
            layers.append(nn.Dropout(dropout))
        layers += [nn.Linear(features, hidden), nn.ReLU(inplace=True)]
        features = hidden
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(features, num_classes))
    return nn.Sequential(*layers)
