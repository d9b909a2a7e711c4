"""The side-by-side table of teacher, student and baseline, as text people can paste."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from workbench.core.compare import ratios

ROLES = ("teacher", "student", "baseline")
HEADERS = ("model", "accuracy", "params", "size on disk", "latency (batch 1)", "throughput",
           "retention", "speedup", "compression")


def _size(size_bytes: float | None) -> str:
    if size_bytes is None:
        return "-"
    for unit, scale in (("MB", 1e6), ("kB", 1e3)):
        if size_bytes >= scale:
            return f"{size_bytes / scale:.1f} {unit}"
    return f"{int(size_bytes)} B"


def _number(value: Any, pattern: str) -> str:
    return "-" if value is None else pattern.format(value)


def comparison_rows(summary: Mapping[str, Any]) -> list[list[str]]:
    """One formatted row per model present in a run summary (teacher first).

    Ratios compare each model with the teacher, so the baseline gets its own
    retention, speedup and compression too.
    """
    models = summary.get("models") or {}
    rows = []
    for role in ROLES:
        figures = models.get(role)
        if not figures:
            continue
        relative = ratios(models, student=role) if role != "teacher" else {}
        rows.append([
            role,
            _number(figures.get("accuracy"), "{:.2%}"),
            _number(figures.get("params"), "{:,}"),
            _size(figures.get("size_bytes")),
            _number(figures.get("latency_ms"), "{:.3f} ms"),
            _number(figures.get("throughput"), "{:,.0f}/s"),
            _number(relative.get("retention"), "{:.1%}"),
            _number(relative.get("speedup"), "{:.1f}x"),
            _number(relative.get("compression"), "{:.1f}x"),
        ])
    return rows


def to_csv(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue()


def to_markdown(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"

    separator = "|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|"
    return "\n".join([line(headers), separator, *(line(row) for row in rows)]) + "\n"
