"""Build a model from a validated model preset and a dataset's shape.

Arguments that pass validation can still ask for a model no machine holds
(an MLP with three 65536-wide layers: 8.6 billion parameters, 32 GiB). So a
model is first built on the ``meta`` device, which allocates nothing, its
parameters are counted, and only a model within the limit is really built.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import psutil
import torch
from torch import nn

from workbench.core.errors import PresetError, Problem
from workbench.core.models.registry import MODELS

GIB = 1024**3
MAX_PARAMETER_BYTES = 2 * GIB  # far above any model this workbench is for
# Training holds the weights, their gradients and two Adam moments: four copies.
TRAINING_COPIES = 4


def build_model(architecture: str, args: Mapping[str, Any], input_shape: tuple[int, ...],
                num_classes: int) -> nn.Module:
    """Instantiate a registered architecture for ``input_shape`` and ``num_classes``.

    Raises:
        PresetError: the model would not fit (see ``memory_problem``); nothing was allocated.
    """
    reason = memory_problem(architecture, args, input_shape, num_classes)
    if reason:
        raise PresetError(f"model '{architecture}'", [Problem("args", reason)])
    return _factory(architecture, args, input_shape, num_classes)


def _factory(architecture: str, args: Mapping[str, Any], input_shape: tuple[int, ...],
             num_classes: int) -> nn.Module:
    entry = MODELS.get(architecture)
    return entry.factory(input_shape=tuple(input_shape), num_classes=num_classes, **dict(args))


def parameter_bytes(architecture: str, args: Mapping[str, Any], input_shape: tuple[int, ...],
                    num_classes: int) -> tuple[int, int]:
    """(parameter count, bytes of parameters and buffers), from a build on the meta device.

    Counted with Python integers from the shapes, so no size can overflow.
    """
    with torch.device("meta"):
        model = _factory(architecture, args, input_shape, num_classes)
    count = sum(math.prod(parameter.shape) for parameter in model.parameters())
    size = sum(math.prod(tensor.shape) * tensor.element_size()
               for tensor in (*model.parameters(), *model.buffers()))
    return count, size


def memory_problem(architecture: str, args: Mapping[str, Any], input_shape: tuple[int, ...],
                   num_classes: int) -> str | None:
    """Why this model may not be built (naming its size and the limit hit), or None."""
    try:
        count, size = parameter_bytes(architecture, args, input_shape, num_classes)
    except (RuntimeError, ValueError, OverflowError) as error:  # sizes torch cannot even hold
        return (f"a '{architecture}' model with these arguments cannot be sized "
                f"({str(error).splitlines()[0]}); choose smaller layers")
    what = f"a '{architecture}' model with these arguments has {count:,} parameters " \
           f"({_gib(size)} GiB)"
    if size > MAX_PARAMETER_BYTES:
        return (f"{what}, more than the limit of {_gib(MAX_PARAMETER_BYTES)} GiB of "
                "parameters; choose smaller layers")
    available = psutil.virtual_memory().available
    if size * TRAINING_COPIES > available:
        return (f"{what}; training needs about {TRAINING_COPIES}x that (weights, gradients, "
                f"optimizer state) = {_gib(size * TRAINING_COPIES)} GiB, more than the "
                f"{_gib(available)} GiB of memory available now; choose smaller layers")
    return None


def check_models_fit(models: Mapping[str, tuple[str, Mapping[str, Any]]],
                     input_shape: tuple[int, ...], num_classes: int, source: str) -> None:
    """Refuse, before a run starts, every model that would not fit.

    Args:
        models: role ("teacher", "student") -> (architecture, args).
        input_shape / num_classes: the dataset's.
        source: the preset, for the message.

    Raises:
        PresetError: one problem per model too big, at its role's ``args``.
    """
    problems = [Problem(f"{role}.args", reason) for role, (architecture, args) in models.items()
                if (reason := memory_problem(architecture, args, input_shape, num_classes))]
    if problems:
        raise PresetError(source, problems)


def _gib(size: int) -> str:
    return f"{size / GIB:.1f}"


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
