"""Comparison tables as plain rows, and their text, CSV and Markdown forms.

Pure functions for ``workbench compare`` (and any front-end that copies a
table), so every place shows the same numbers.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from workbench.core.compare import ratios

COLUMNS = ("run", "model", "accuracy", "params", "size_bytes", "latency_ms", "throughput",
           "retention", "compression", "speedup")
ROLES = ("teacher", "student", "baseline")
HEADERS = {"run": "run", "model": "model", "accuracy": "accuracy", "params": "params",
           "size_bytes": "size", "latency_ms": "latency ms (b=1)",
           "throughput": "throughput /s", "retention": "retention",
           "compression": "compression", "speedup": "speedup"}


def summary_rows(run_id: str, summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row of raw numbers per model of a run; ratios are against that run's teacher."""
    models = summary.get("models") or {}
    order = sorted(models, key=lambda name: (ROLES.index(name) if name in ROLES else 9, name))
    rows = []
    for role in order:
        figures = models[role] or {}
        row = {"run": run_id, "model": role, **{key: figures.get(key) for key in
                                               ("accuracy", "params", "size_bytes",
                                                "latency_ms", "throughput")}}
        relative = ratios(models, student=role) if role != "teacher" else {}
        row.update({key: relative.get(key) for key in ("retention", "compression", "speedup")})
        rows.append(row)
    return rows


def format_value(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if column in ("accuracy", "retention"):
        return f"{100 * value:.2f}%"
    if column in ("compression", "speedup"):
        return f"{value:.1f}x"
    if column == "params":
        return f"{value:,}"
    if column == "size_bytes":
        return human_bytes(value)
    if column == "latency_ms":
        return f"{value:.3f}"
    if column == "throughput":
        return f"{value:,.0f}"
    return str(value)


def human_bytes(count: float) -> str:
    for unit in ("B", "KiB", "MiB"):
        if count < 1024:
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"


def to_text(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] = COLUMNS) -> str:
    cells = [[HEADERS[c] for c in columns]] + \
        [[format_value(c, row.get(c)) for c in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
             for line in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def to_markdown(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] = COLUMNS) -> str:
    lines = ["| " + " | ".join(HEADERS[c] for c in columns) + " |",
             "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(format_value(c, row.get(c)) for c in columns) + " |"
              for row in rows]
    return "\n".join(lines)


def to_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] = COLUMNS) -> str:
    """Raw numbers (not formatted), for spreadsheets."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: "" if row.get(c) is None else row.get(c) for c in columns})
    return buffer.getvalue()
