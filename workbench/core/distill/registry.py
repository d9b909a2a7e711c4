"""The distillation-method registry: ``distill.method`` names map here."""
from __future__ import annotations

from workbench.core.config.registry import Registry
from workbench.core.distill.method import MethodFactory

# factory(**validated distill params) -> Method (see method.py and engine/pipeline.py)
METHODS: Registry[MethodFactory] = Registry("distillation method")
