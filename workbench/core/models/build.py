"""Build a model from a validated model preset and a dataset's shape."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from workbench.core.models.registry import MODELS


def build_model(architecture: str, args: Mapping[str, Any], input_shape: tuple[int, ...],
                num_classes: int) -> nn.Module:
    """Instantiate a registered architecture for ``input_shape`` and ``num_classes``."""
    entry = MODELS.get(architecture)
    return entry.factory(input_shape=tuple(input_shape), num_classes=num_classes, **dict(args))


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
