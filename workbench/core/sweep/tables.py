"""The sweep's results table as CSV and Markdown (one row per configuration)."""
from __future__ import annotations

import csv
import io
from typing import Any

COLUMNS = ("student_accuracy", "baseline_accuracy", "gain", "retention", "latency_ms")


def table_rows(summaries: list[Any]) -> list[dict[str, Any]]:
    """Flat rows: the swept values, then mean/std/n of each figure."""
    rows = []
    for summary in summaries:
        row: dict[str, Any] = dict(summary.values)
        for column in COLUMNS:
            figure = getattr(summary, column)
            row.update({f"{column}_mean": figure.mean, f"{column}_std": figure.std,
                        f"{column}_n": figure.n})
        rows.append(row)
    return rows


def csv_text(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def markdown_text(rows: list[dict[str, Any]]) -> str:
    """Keys, then ``mean ± std`` per figure (accuracies in %), and n."""
    if not rows:
        return ""
    keys = [key for key in rows[0] if not key.endswith(("_mean", "_std", "_n"))]
    header = keys + ["student acc %", "baseline acc %", "gain (points)", "retention",
                     "latency ms", "n"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [str(row[key]) for key in keys]
        cells += [_pm(row, "student_accuracy", 100), _pm(row, "baseline_accuracy", 100),
                  _pm(row, "gain", 100), _pm(row, "retention", 1, 3),
                  _pm(row, "latency_ms", 1, 4), str(row["student_accuracy_n"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _pm(row: dict[str, Any], column: str, scale: float, digits: int = 2) -> str:
    mean, std = row[f"{column}_mean"], row[f"{column}_std"]
    if mean is None:
        return "—"
    return f"{mean * scale:.{digits}f}" + ("" if std is None else f" ± {std * scale:.{digits}f}")
