"""Comparison tables as plain rows, and their text, CSV and Markdown forms.

Pure functions for ``workbench compare`` and ``workbench bench`` (and any
front-end that copies a table), so every place shows the same numbers.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from workbench.core.measure.machine import describe_machine
from workbench.core.measure.figures import ratios

FIGURES = ("accuracy", "params", "size_bytes", "flops", "latency_ms", "latency_p95_ms",
           "latency_p99_ms", "throughput", "peak_memory_bytes")
COLUMNS = ("run", "model", *FIGURES, "retention", "compression", "speedup")
# Raw exports (JSON, CSV) carry everything, the text table what fits a terminal.
EXTRA_COLUMNS = ("trainable_params", "energy_per_1k_j", "threads", "machine")
ROLES = ("teacher", "student", "student-int8", "student-qat", "student-pruned", "baseline")
HEADERS = {"run": "run", "model": "model", "accuracy": "accuracy", "params": "params",
           "trainable_params": "trainable", "size_bytes": "size", "file_bytes": "file",
           "flops": "FLOPs", "latency_ms": "p50 ms (b=1)", "latency_p95_ms": "p95 ms",
           "latency_p99_ms": "p99 ms", "throughput": "throughput /s",
           "peak_memory_bytes": "peak mem (b=1)", "retention": "retention",
           "compression": "compression", "speedup": "speedup", "threads": "threads",
           "machine": "machine", "source": "source", "energy_per_1k_j": "J/1k pred"}


def summary_rows(run_id: str, summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row of raw numbers per model of a run; ratios are against that run's teacher."""
    models = summary.get("models") or {}
    machine = summary.get("machine") or {}
    order = sorted(models, key=_role_order)
    rows = []
    for role in order:
        figures = models[role] or {}
        row = {"run": run_id, "model": role,
               **{key: figures.get(key) for key in (*FIGURES, "trainable_params", "threads",
                                                 "energy_per_1k_j")}}
        row["machine"] = describe_machine(machine, figures.get("threads")) if machine else None
        if figures.get("note"):
            row["note"] = figures["note"]
        relative = ratios(models, student=role) if role != "teacher" else {}
        row.update({key: relative.get(key) for key in ("retention", "compression", "speedup")})
        rows.append(row)
    return rows


def _role_order(name: str) -> tuple[float, str]:
    """The teacher, its members (teacher-1...), the assistants, the students, the rest."""
    if name in ROLES:
        return ROLES.index(name) + (0.0 if name == "teacher" else 1.0), name
    for prefix, rank in (("teacher-", 0.5), ("assistant-", 0.7)):
        if name.startswith(prefix) and name[len(prefix):].isdigit():
            return rank, f"{int(name[len(prefix):]):04d}"
    return 99.0, name


def machines(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The distinct machine descriptions of some rows, in order (for a footnote)."""
    seen: list[str] = []
    for row in rows:
        if row.get("machine") and row["machine"] not in seen:
            seen.append(row["machine"])
    return seen


def format_value(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if column in ("accuracy", "retention"):
        return f"{100 * value:.2f}%"
    if column in ("compression", "speedup"):
        return f"{value:.1f}x"
    if column in ("params", "trainable_params"):
        return f"{value:,}"
    if column in ("size_bytes", "file_bytes", "peak_memory_bytes"):
        return human_bytes(value)
    if column == "flops":
        return human_count(value)
    if column.startswith("latency"):
        return f"{value:.3f}"
    if column == "throughput":
        return f"{value:,.0f}"
    if column == "energy_per_1k_j":
        return f"{value:.3g}"
    return str(value)


def human_bytes(count: float) -> str:
    for unit in ("B", "KiB", "MiB"):
        if count < 1024:
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"


def human_count(count: float) -> str:
    """``12.7k``, ``2.42M``, ``1.30G``: FLOPs at a glance."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if count >= scale:
            return f"{count / scale:.3g}{unit}"
    return f"{count:.0f}"


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


def to_csv(rows: Sequence[Mapping[str, Any]],
           columns: Sequence[str] = COLUMNS + EXTRA_COLUMNS) -> str:
    """Raw numbers (not formatted), for spreadsheets."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: "" if row.get(c) is None else row.get(c) for c in columns})
    return buffer.getvalue()
