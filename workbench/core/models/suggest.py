"""Students sized against the teacher: a few models at about 1/10, 1/30, 1/100 of its
parameters, for the dataset's input (feature vectors: MLPs; images: CNNs and MLPs).

Each family grows with one width ``w``; the width whose parameter count lands
nearest the target is found by bisection, counting every candidate exactly on the
``meta`` device (``parameter_bytes``: nothing is allocated). Hand-written rather
than a library's: it is twenty lines over our own registry, and no library knows
its architectures.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workbench.core.models.build import parameter_bytes

TARGETS = (10, 30, 100)
MAX_WIDTH = 4096  # the registry's int_list maximum is 65536; students are far smaller
WIDE_LAYER = 1024  # an MLP that needs a wider single layer gets two layers instead
TOLERANCE = 1.5  # a suggestion whose ratio is off its target by more is left out

Family = Callable[[int, tuple[int, ...]], dict[str, Any]]  # (width, input shape) -> args


@dataclass(frozen=True)
class StudentSuggestion:
    """One student: an architecture and args, with its real parameter count."""

    name: str  # e.g. "cnn-1/10"
    architecture: str
    args: Mapping[str, Any]
    params: int
    target: int  # aimed at teacher_params / target
    ratio: float  # teacher_params / params: the compression it gives
    note: str = field(default="")

    def as_model(self) -> dict[str, Any]:
        """An inline model mapping, ready for ``student:`` in an experiment preset."""
        return {"name": self.name.replace("/", "-"), "architecture": self.architecture,
                "args": dict(self.args),
                "description": f"about 1/{self.target} of the teacher's parameters "
                               f"({self.params:,})"}


def _mlp(width: int, _shape: tuple[int, ...]) -> dict[str, Any]:
    return {"hidden": [width]}


def _deep_mlp(width: int, _shape: tuple[int, ...]) -> dict[str, Any]:
    """Two equal layers: where one layer would be wider than ``WIDE_LAYER`` (few inputs,
    a large budget), depth buys the parameters instead."""
    return {"hidden": [width, width]}


def _cnn(width: int, shape: tuple[int, ...]) -> dict[str, Any]:
    """Blocks until the image is about 7 pixels a side (at most 4), channels doubling."""
    side = min(shape[1], shape[2])
    blocks = max(1, min(4, math.ceil(math.log2(max(2, side) / 7))))
    return {"channels": [width * 2**block for block in range(blocks)], "convs_per_block": 1,
            "batch_norm": True, "hidden": 4 * width}


def families(input_shape: tuple[int, ...]) -> dict[str, Family]:
    """The architectures that fit the input: CNN and MLP for images of at least 4x4, else MLP."""
    images = len(input_shape) == 3 and min(input_shape[1:]) >= 4
    return {"cnn": _cnn, "mlp": _mlp} if images else {"mlp": _mlp}


def suggest_students(teacher_params: int, input_shape: tuple[int, ...], num_classes: int,
                     targets: tuple[int, ...] = TARGETS) -> list[StudentSuggestion]:
    """A student per family and target whose parameters are nearest ``teacher_params/target``.

    Targets no member of a family gets within ``TOLERANCE`` of (a teacher already
    small for its input) are left out rather than mislabelled.
    """
    shape = tuple(int(size) for size in input_shape)
    found = []
    for target in targets:
        budget = teacher_params / target
        for architecture, family in families(shape).items():
            if family is _mlp and _count("mlp", _mlp(WIDE_LAYER, shape), shape,
                                         num_classes) < budget:
                family = _deep_mlp
            width = _nearest_width(architecture, family, shape, num_classes, budget)
            args = family(width, shape)
            params = _count(architecture, args, shape, num_classes)
            ratio = teacher_params / params
            narrow = architecture == "mlp" and width < num_classes
            note = (f"its hidden layer ({width}) is narrower than the {num_classes} classes: "
                    "expect a large accuracy loss") if narrow else ""
            if target / TOLERANCE <= ratio <= target * TOLERANCE:
                found.append(StudentSuggestion(f"{architecture}-1/{target}", architecture,
                                               args, params, target, ratio, note))
    return found


def _nearest_width(architecture: str, family: Family, shape: tuple[int, ...],
                   num_classes: int, budget: float) -> int:
    """The width whose count is nearest ``budget`` (counts grow with the width)."""
    def count(width: int) -> int:
        return _count(architecture, family(width, shape), shape, num_classes)

    low, high = 1, MAX_WIDTH
    while low < high:  # the first width whose count reaches the budget
        middle = (low + high) // 2
        if count(middle) < budget:
            low = middle + 1
        else:
            high = middle
    below = max(1, low - 1)
    return min((below, low), key=lambda width: abs(math.log(count(width) / budget)))


def _count(architecture: str, args: Mapping[str, Any], shape: tuple[int, ...],
           num_classes: int) -> int:
    return parameter_bytes(architecture, args, shape, num_classes)[0]
