"""What a model preset is, in a line: architecture, parameter count, what its weights saw."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from workbench.core.measure.machine import torch_threads
from workbench.core.measure.size import parameter_count
from workbench.core.models import build_model
from workbench.core.presets.model import ModelPreset


@dataclass(frozen=True, slots=True)
class ModelInfo:
    architecture: str
    params: int
    has_weights: bool
    trained_on: str  # "" when untrained

    def describe(self) -> str:
        """``cnn · 869,898 params · trained on fashion-mnist``."""
        origin = f"trained on {self.trained_on}" if self.has_weights else "untrained"
        return f"{self.architecture} · {self.params:,} params · {origin}"


@lru_cache(maxsize=64)
def _count(architecture: str, args_json: str, input_shape: tuple[int, ...],
           num_classes: int) -> int:
    with torch_threads(1):
        model = build_model(architecture, json.loads(args_json), input_shape, num_classes)
    return parameter_count(model)


def model_info(model: ModelPreset, input_shape: tuple[int, ...] = (1, 28, 28),
               num_classes: int = 10) -> ModelInfo:
    """Describe ``model`` built for ``input_shape`` (all bundled datasets are 1x28x28, 10 classes)."""
    params = _count(model.architecture, json.dumps(model.args.to_dict(), sort_keys=True),
                    tuple(input_shape), num_classes)
    trained_on = ""
    if model.trained_on:
        trained_on = str(model.trained_on.get("dataset") or
                         ", ".join(f"{key}={value}" for key, value in model.trained_on.items()))
    elif model.weights is not None:
        trained_on = "unknown data"
    return ModelInfo(model.architecture, params, model.weights is not None, trained_on)
