"""The side-by-side comparison: per-model figures and the ratios users ask for."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from workbench.core.measure.size import flops_per_sample, parameter_count, peak_memory, serialized_size
from workbench.core.measure.speed import measure_latency, measure_throughput

# Every figure a comparison row carries, in the order tables show them.
FIGURE_KEYS = ("accuracy", "params", "trainable_params", "size_bytes", "flops", "latency_ms",
               "latency_p95_ms", "latency_p99_ms", "throughput", "peak_memory_bytes", "threads")


def model_figures(model: nn.Module, accuracy: float | None, input_shape: tuple[int, ...],
                  settings: Mapping[str, Any]) -> dict[str, Any]:
    """Accuracy, size, FLOPs, memory and CPU speed of one model (moved to the CPU first).

    Args:
        settings: the preset's ``compare`` section (latency_repeats, warmup,
            throughput_batch, threads), or any mapping with those keys.
    """
    model = model.cpu()
    threads = settings["threads"]
    latency = measure_latency(model, input_shape, settings["latency_repeats"],
                              settings["warmup"], threads)
    return {"accuracy": accuracy, "params": parameter_count(model),
            "trainable_params": parameter_count(model, trainable_only=True),
            "size_bytes": serialized_size(model), "flops": flops_per_sample(model, input_shape),
            "latency_ms": latency.p50_ms, "latency_p25_ms": latency.p25_ms,
            "latency_p75_ms": latency.p75_ms, "latency_p95_ms": latency.p95_ms,
            "latency_p99_ms": latency.p99_ms,
            "throughput": measure_throughput(model, input_shape, settings["throughput_batch"],
                                             threads),
            "peak_memory_bytes": peak_memory(model, input_shape), "threads": threads}


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
