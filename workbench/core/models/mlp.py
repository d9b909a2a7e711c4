"""Multi-layer perceptron: the classic small student."""
from __future__ import annotations

import math

from torch import nn

from workbench.core.models.registry import MODELS
from workbench.core.config.params import Param

PARAMS = (
    Param("hidden", "int_list", [128], "sizes of the hidden layers ([] = linear model)",
          minimum=1, maximum=65536),
    Param("dropout", "float", 0.0, "dropout after each hidden layer", minimum=0.0, maximum=0.9),
)


@MODELS.register("mlp", params=PARAMS, help="fully connected network on flattened pixels")
def build_mlp(input_shape: tuple[int, ...], num_classes: int, hidden: list[int],
              dropout: float = 0.0) -> nn.Module:
    layers: list[nn.Module] = [nn.Flatten()]
    width = math.prod(input_shape)
    for size in hidden:
        layers += [nn.Linear(width, size), nn.ReLU(inplace=True)]
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = size
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)
