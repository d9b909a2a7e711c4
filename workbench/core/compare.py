"""The side-by-side comparison: per-model figures and the ratios users ask for."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from workbench.core.benchmark import (measure_latency, measure_throughput, parameter_count,
                                      serialized_size)
from workbench.core.presets.section import Section


def model_figures(model: nn.Module, accuracy: float, input_shape: tuple[int, ...],
                  settings: Section) -> dict[str, Any]:
    """Accuracy, size and CPU speed of one model (moved to the CPU for timing)."""
    model = model.cpu()
    latency = measure_latency(model, input_shape, settings.latency_repeats, settings.warmup,
                              settings.threads)
    return {"accuracy": accuracy, "params": parameter_count(model),
            "size_bytes": serialized_size(model), "latency_ms": latency.p50_ms,
            "latency_p95_ms": latency.p95_ms,
            "throughput": measure_throughput(model, input_shape, settings.throughput_batch,
                                             settings.threads),
            "threads": settings.threads}


def ratios(models: Mapping[str, Mapping[str, Any]], student: str = "student") -> dict[str, Any]:
    """retention = student/teacher accuracy; compression = teacher/student params;
    speedup = teacher/student latency. None when a figure is missing."""
    teacher, pupil = models.get("teacher"), models.get(student)
    if not teacher or not pupil:
        return {"retention": None, "compression": None, "speedup": None}

    def ratio(numerator: Any, denominator: Any) -> float | None:
        if numerator is None or not denominator:
            return None
        return numerator / denominator

    return {"retention": ratio(pupil.get("accuracy"), teacher.get("accuracy")),
            "compression": ratio(teacher.get("params"), pupil.get("params")),
            "speedup": ratio(teacher.get("latency_ms"), pupil.get("latency_ms"))}
