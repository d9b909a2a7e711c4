"""The desktop app's comparison table: formatted cells over ``tables`` (the CLI's rows),
so the window, ``workbench compare`` and the run store show the same numbers."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workbench.core.measure import tables

COLUMNS = ("model", "accuracy", "params", "size_bytes", "latency_ms", "throughput",
           "retention", "speedup", "compression", "energy_per_1k_j")
HEADERS = tuple("p50 ms (IQR)" if column == "latency_ms" else tables.HEADERS[column]
                for column in COLUMNS)


def summary_rows(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Raw rows for every model of a run (peers, generations and int8 included)."""
    return tables.summary_rows(str(summary.get("run_id", "")), summary)


def comparison_rows(summary: Mapping[str, Any]) -> list[list[str]]:
    """One row of formatted cells per model; ratios compare each model with the teacher.

    The p50 latency carries its interquartile range, so two timings of one model
    that differ within their spread are not read as a real difference.
    """
    models = summary.get("models") or {}
    rows = []
    for row in summary_rows(summary):
        cells = [tables.format_value(column, row.get(column)) for column in COLUMNS]
        spread = latency_iqr(models.get(row["model"]) or {})
        if spread is not None:
            cells[COLUMNS.index("latency_ms")] += f" ({spread[0]:.3f}–{spread[1]:.3f})"
        rows.append(cells)
    return rows


def latency_iqr(figures: Mapping[str, Any]) -> tuple[float, float] | None:
    """(p25, p75) of a model's batch-1 latency, or None for runs that did not record it."""
    low, high = figures.get("latency_p25_ms"), figures.get("latency_p75_ms")
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high))
    return (float(low), float(high)) if numbers and 0 < low <= high else None


def to_csv(summary: Mapping[str, Any]) -> str:
    """Raw numbers, every figure (as ``workbench compare --csv``)."""
    return tables.to_csv(summary_rows(summary))


def to_markdown(summary: Mapping[str, Any]) -> str:
    """The table shown in the window, as Markdown."""
    return tables.to_markdown(summary_rows(summary), ("model",) + COLUMNS[1:])
