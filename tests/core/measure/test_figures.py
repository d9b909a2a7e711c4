"""The comparison: ratios users ask for, None when a figure is missing."""
from __future__ import annotations

import pytest
from torch import nn

from workbench.core.measure.figures import model_figures, ratios
from workbench.core.models import build_model
from workbench.core.config.section import Section

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


def test_model_figures_carry_every_figure() -> None:
    from workbench.core.measure.figures import FIGURE_KEYS

    model = build_model("mlp", {"hidden": [8]}, (1, 28, 28), 10)
    settings = {"latency_repeats": 3, "warmup": 1, "throughput_batch": 4, "threads": 1}
    figures = model_figures(model, None, (1, 28, 28), settings)
    assert set(FIGURE_KEYS) <= set(figures)
    assert figures["trainable_params"] == figures["params"]
    assert figures["flops"] == 2 * (784 * 8 + 8 * 10)
    assert figures["latency_ms"] <= figures["latency_p95_ms"] <= figures["latency_p99_ms"]
    assert figures["peak_memory_bytes"] > 4 * figures["params"]


# --- tables -------------------------------------------------------------------------------

SUMMARY = {"machine": {"cpu": "Test CPU", "cores": 2, "torch": "2.x"},
           "models": {"baseline": {**STUDENT, "threads": 1},
                      "student-int8": {**STUDENT, "size_bytes": 10, "note": "quantized",
                                       "threads": 1},
                      "student": {**STUDENT, "flops": 2_000_000, "threads": 1},
                      "teacher": {**TEACHER, "threads": 1}}}


def test_summary_rows_order_roles_and_carry_the_machine() -> None:
    from workbench.core.measure.tables import machines, summary_rows

    rows = summary_rows("run-1", SUMMARY)
    assert [row["model"] for row in rows] == ["teacher", "student", "student-int8", "baseline"]
    assert rows[2]["note"] == "quantized" and rows[2]["retention"] == pytest.approx(0.9)
    assert machines(rows) == ["Test CPU, 2 cores, torch 2.x, 1 thread"]
    assert rows[1]["flops"] == 2_000_000 and rows[0]["latency_p99_ms"] is None


def test_tables_show_new_figures_in_every_form() -> None:
    from workbench.core.measure.tables import summary_rows, to_csv, to_markdown, to_text

    rows = summary_rows("run-1", SUMMARY)
    text = to_text(rows)
    assert "FLOPs" in text and "2M" in text and "p99 ms" in text and "peak mem" in text
    assert "| p95 ms |" in to_markdown(rows)
    header, first = to_csv(rows).splitlines()[:2]
    assert header.endswith("trainable_params,energy_per_1k_j,threads,machine")
    assert first.endswith('"Test CPU, 2 cores, torch 2.x, 1 thread"')
