"""Distillation losses and methods, one file per family, registered by name."""
from __future__ import annotations

from workbench.core.distill import offline, online, self_distill  # noqa: F401  (register)
from workbench.core.distill import dkd  # noqa: F401  (register)
from workbench.core.distill import assistant  # noqa: F401  (register)
from workbench.core.distill.registry import METHODS

__all__ = ["METHODS"]
