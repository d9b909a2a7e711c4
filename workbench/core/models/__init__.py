"""Architectures, registered by name; ``build_model`` turns a spec into a module."""
from __future__ import annotations

from workbench.core.models import cnn, mlp, resnet  # noqa: F401  (register)
from workbench.core.models.build import build_model, count_parameters
from workbench.core.models.registry import MODELS

__all__ = ["MODELS", "build_model", "count_parameters"]
