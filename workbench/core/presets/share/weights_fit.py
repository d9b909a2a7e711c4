"""Whether a bundled weights file fits the model preset that names it.

A bundle may carry a weights file that loads as plain tensors yet belongs to
another model (or is junk). Found at import, it is refused; found at the first
run, it would already sit in the user's folder. The architecture is built on
the ``meta`` device (nothing allocated) and its state-dict keys and shapes are
compared with the file's. Shapes that depend on the dataset (input size, class
count) are taken from the file's meta when our checkpoint format recorded them;
otherwise the model is built for two different datasets and only the sizes that
change between the two are left free.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from workbench.core.models.registry import MODELS

# Two unlike datasets: a size that differs between them depends on the data.
_PROBES = (((1, 28, 28), 10), ((3, 32, 32), 7))
_SHOWN = 3  # keys named in a message


def weights_fit_problem(architecture: str, args: Mapping[str, Any],
                        state: Mapping[str, torch.Tensor], meta: Mapping[str, Any]) -> str | None:
    """Why ``state`` cannot be loaded into this architecture, in one line, or None."""
    declared = _declared_data(meta)
    try:
        if declared is not None:
            expected, free = _shapes(architecture, args, *declared), {}
        else:
            expected, other = (_shapes(architecture, args, *probe) for probe in _PROBES)
            free = {key: {axis for axis, (a, b) in enumerate(zip(shape, other.get(key, shape)))
                          if a != b} for key, shape in expected.items()}
    except Exception:  # noqa: BLE001 - an unbuildable model is the validator's to report
        return None
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = [f"{key} {tuple(state[key].shape)} (expected {_show(shape, free.get(key, set()))})"
             for key, shape in expected.items()
             if key in state and not _fits(tuple(state[key].shape), shape,
                                           free.get(key, set()))]
    parts = [f"missing {_first(missing)}" if missing else "",
             f"unexpected {_first(unexpected)}" if unexpected else "",
             f"shape differs for {_first(wrong)}" if wrong else ""]
    detail = "; ".join(part for part in parts if part)
    if not detail:
        return None
    return f"does not fit a '{architecture}' model with these args ({detail})"


def _declared_data(meta: Mapping[str, Any]) -> tuple[tuple[int, ...], int] | None:
    """(input shape, class count) as our checkpoints record them, when plausible."""
    shape, classes = meta.get("input_shape"), meta.get("classes")
    if not (isinstance(shape, list) and 1 <= len(shape) <= 4 and isinstance(classes, list)):
        return None
    if not all(isinstance(size, int) and 0 < size <= 4096 for size in shape):
        return None
    return tuple(shape), len(classes)


def _shapes(architecture: str, args: Mapping[str, Any], input_shape: tuple[int, ...],
            num_classes: int) -> dict[str, tuple[int, ...]]:
    with torch.device("meta"):
        model = MODELS.get(architecture).factory(input_shape=input_shape,
                                                 num_classes=num_classes, **dict(args))
    return {key: tuple(value.shape) for key, value in model.state_dict().items()}


def _fits(actual: tuple[int, ...], expected: tuple[int, ...], free: set[int]) -> bool:
    return len(actual) == len(expected) and all(
        axis in free or size == expected[axis] for axis, size in enumerate(actual))


def _show(shape: tuple[int, ...], free: set[int]) -> str:
    return "(" + ", ".join("*" if axis in free else str(size)
                           for axis, size in enumerate(shape)) + ")"


def _first(items: list[str]) -> str:
    more = f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return ", ".join(items[:_SHOWN]) + more
