"""Benchmark resolved models into rows: the result of ``workbench bench``."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from workbench.core.measure.machine import machine_info
from workbench.core.measure.figures import model_figures
from workbench.core.measure.quantize import INT8_SUFFIX, quantize_dynamic_int8
from workbench.core.models.saved import LoadedModel

DEFAULT_SETTINGS = {"latency_repeats": 100, "warmup": 10, "throughput_batch": 512, "threads": 1}


def bench_models(models: Sequence[LoadedModel], settings: Mapping[str, Any],
                 int8: bool = False) -> dict[str, Any]:
    """Figures of every model (and of its dynamic-int8 copy when ``int8``), with the machine.

    Accuracy is None: a benchmark has no test set (a run's comparison has it).
    """
    rows = []
    for loaded in models:
        rows.append(_row(loaded, loaded.model, loaded.name, loaded.notes, settings))
        if int8:
            quantized = quantize_dynamic_int8(loaded.model)
            notes = loaded.notes + ((quantized.note,) if quantized.note else ())
            row = _row(loaded, quantized.model, loaded.name + INT8_SUFFIX, notes, settings)
            row.update(params=rows[-1]["params"], flops=rows[-1]["flops"],
                       quantized=quantized.changed, file_bytes=None)
            rows.append(row)
    return {"machine": machine_info(settings["threads"]), "settings": dict(settings),
            "models": rows}


def _row(loaded: LoadedModel, model: Any, name: str, notes: tuple[str, ...],
         settings: Mapping[str, Any]) -> dict[str, Any]:
    assert loaded.input_shape is not None
    figures = model_figures(model, None, loaded.input_shape, settings)
    return {"model": name, "source": loaded.source, "kind": loaded.kind,
            "input_shape": list(loaded.input_shape), **figures,
            "file_bytes": loaded.file_bytes, "notes": list(notes)}
