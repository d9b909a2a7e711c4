"""The model registry; architectures register themselves on import."""
from __future__ import annotations

from collections.abc import Callable

from torch import nn

from workbench.core.config.registry import Registry

# factory(input_shape=(C, H, W), num_classes=K, **args) -> nn.Module
ModelFactory = Callable[..., nn.Module]
MODELS: Registry[ModelFactory] = Registry("architecture")
