"""Does a trained teacher fit the chosen dataset? The pickers refuse one that does not.

A teacher trained on Fashion-MNIST still runs on the synthetic shapes (both are
1x28x28, 10 classes), but its class 3 means "dress", not "plus": its soft labels
would teach nonsense. Untrained teachers fit any dataset: the run trains them.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.models.build import build_model
from workbench.core.models.weights import read_state_dict
from workbench.core.presets.model import ModelPreset

BUNDLED_SHAPE, BUNDLED_CLASSES = (1, 28, 28), 10  # every registered dataset's images


def teacher_fit_problem(teacher: ModelPreset, dataset: str,
                        input_shape: tuple[int, ...] = BUNDLED_SHAPE,
                        num_classes: int = BUNDLED_CLASSES) -> str | None:
    """Why ``teacher`` cannot teach on ``dataset`` (one line), or None when it can."""
    if teacher.weights is None:
        return None
    trained = (teacher.trained_on or {}).get("dataset")
    if trained and str(trained) != dataset:
        return (f"{teacher.name} was trained on {trained}, not {dataset}: its classes mean "
                f"{trained}'s classes (trained_on in its preset). Pick a teacher without "
                f"weights (the run trains it on {dataset}) or another dataset.")
    return _shape_problem(teacher, input_shape, num_classes)


def _shape_problem(teacher: ModelPreset, input_shape: tuple[int, ...],
                   num_classes: int) -> str | None:
    args = json.dumps(teacher.args.to_dict(), sort_keys=True)
    mismatched = _mismatch(teacher.architecture, args, str(teacher.weights), tuple(input_shape),
                           num_classes)
    if mismatched is None:
        return None
    shape = "x".join(map(str, input_shape))
    return (f"{teacher.name}'s weights do not fit {shape} inputs with {num_classes} classes "
            f"({mismatched})")


@lru_cache(maxsize=32)
def _mismatch(architecture: str, args_json: str, weights: str, input_shape: tuple[int, ...],
              num_classes: int) -> str | None:
    """The first tensors whose shapes differ from the model built for this data, or None."""
    try:
        state, _meta = read_state_dict(Path(weights))
        expected = build_model(architecture, json.loads(args_json), input_shape,
                               num_classes).state_dict()
    except (WorkbenchError, OSError, TypeError, ValueError) as error:
        return f"cannot check: {error}"
    shapes = [f"{name} {tuple(state[name].shape)} vs {tuple(tensor.shape)}"
              for name, tensor in expected.items()
              if name in state and state[name].shape != tensor.shape]
    missing = [name for name in expected if name not in state]
    if not shapes and not missing:
        return None
    return "; ".join(shapes[:2]) or f"missing {', '.join(missing[:2])}"
