"""The distillation-method registry: ``distill.method`` names map here."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workbench.core.config.registry import Registry

# factory(**validated distill params) -> method object (see engine/pipeline.py)
METHODS: Registry[Callable[..., Any]] = Registry("distillation method")
