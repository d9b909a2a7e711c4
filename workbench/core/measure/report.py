"""The desktop app's comparison table: formatted cells over ``tables`` (the CLI's rows),
so the window, ``workbench compare`` and the run store show the same numbers."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workbench.core.measure import tables

COLUMNS = ("model", "accuracy", "params", "size_bytes", "latency_ms", "throughput",
           "retention", "speedup", "compression")
HEADERS = tuple(tables.HEADERS[column] for column in COLUMNS)


def summary_rows(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Raw rows for every model of a run (peers, generations and int8 included)."""
    return tables.summary_rows(str(summary.get("run_id", "")), summary)


def comparison_rows(summary: Mapping[str, Any]) -> list[list[str]]:
    """One row of formatted cells per model; ratios compare each model with the teacher."""
    return [[tables.format_value(column, row.get(column)) for column in COLUMNS]
            for row in summary_rows(summary)]


def to_csv(summary: Mapping[str, Any]) -> str:
    """Raw numbers, every figure (as ``workbench compare --csv``)."""
    return tables.to_csv(summary_rows(summary))


def to_markdown(summary: Mapping[str, Any]) -> str:
    """The table shown in the window, as Markdown."""
    return tables.to_markdown(summary_rows(summary), ("model",) + COLUMNS[1:])
