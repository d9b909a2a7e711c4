"""The comparison: ratios users ask for, None when a figure is missing."""
from __future__ import annotations

import pytest
from torch import nn

from workbench.core.compare import model_figures, ratios
from workbench.core.models import build_model
from workbench.core.presets.section import Section

TEACHER = {"accuracy": 0.9, "params": 1000, "latency_ms": 4.0}
STUDENT = {"accuracy": 0.81, "params": 50, "latency_ms": 0.5}


def test_ratios() -> None:
    result = ratios({"teacher": TEACHER, "student": STUDENT})
    assert result["retention"] == pytest.approx(0.81 / 0.9)
    assert result["compression"] == pytest.approx(20.0)
    assert result["speedup"] == pytest.approx(8.0)


def test_ratios_for_another_model_role() -> None:
    result = ratios({"teacher": TEACHER, "baseline": {**STUDENT, "params": 100}},
                    student="baseline")
    assert result["compression"] == pytest.approx(10.0)


@pytest.mark.parametrize("models", [{}, {"teacher": TEACHER}, {"student": STUDENT}])
def test_ratios_without_both_models_are_none(models: dict) -> None:
    assert ratios(models) == {"retention": None, "compression": None, "speedup": None}


def test_a_missing_or_zero_figure_gives_none() -> None:
    teacher = {**TEACHER, "latency_ms": None}
    student = {"accuracy": 0.5, "params": 0}
    result = ratios({"teacher": teacher, "student": student})
    assert result["retention"] == pytest.approx(0.5 / 0.9)
    assert result["compression"] is None  # student params 0: no division by zero
    assert result["speedup"] is None


def test_model_figures() -> None:
    model: nn.Module = build_model("mlp", {"hidden": [8]}, (1, 28, 28), 10)
    settings = Section({"latency_repeats": 3, "warmup": 1, "throughput_batch": 4, "threads": 1})
    figures = model_figures(model, 0.75, (1, 28, 28), settings)
    assert figures["accuracy"] == 0.75
    assert figures["params"] == 784 * 8 + 8 + 8 * 10 + 10
    assert figures["size_bytes"] > 4 * figures["params"]
    assert 0 < figures["latency_ms"] <= figures["latency_p95_ms"]
    assert figures["throughput"] > 0 and figures["threads"] == 1
