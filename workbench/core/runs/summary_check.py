"""Reading a run's ``summary.json`` back, whatever the file holds.

Front-ends format the summary's fields without further checks (a time stamp as
a date, figures as percentages), so a field of the wrong type would crash them.
``load_summary`` never raises: it returns the summary with every field that
front-ends read checked, or the one-line reason it cannot be used.
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from workbench.core.runs.safe_read import MiB, UnreadableFile, read_capped

MAX_SUMMARY_BYTES = 16 * MiB
STATUSES = ("completed", "stopped", "failed", "running", "crashed")
# Figures of a model that tables and charts format as numbers.
NUMERIC_FIGURES = ("accuracy", "params", "trainable_params", "size_bytes", "file_bytes", "flops",
                   "latency_ms", "latency_p95_ms", "latency_p99_ms", "throughput",
                   "peak_memory_bytes", "threads", "agreement", "best_val_acc", "best_epoch",
                   "last_val_acc", "retention", "compression", "speedup", "energy_per_1k_j")


@dataclass(frozen=True)
class LoadedSummary:
    """What ``summary.json`` gave: ``present`` False when there is none."""

    present: bool
    summary: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None  # set when the file exists but cannot be used


def load_summary(folder: Path) -> LoadedSummary:
    """The checked summary of a run folder; never raises."""
    try:
        raw = read_capped(folder / "summary.json", MAX_SUMMARY_BYTES)
    except FileNotFoundError:
        return LoadedSummary(False)
    except UnreadableFile as error:
        return LoadedSummary(True, problem=str(error))
    try:
        summary = json.loads(raw)
    except ValueError as error:  # also undecodable bytes
        return LoadedSummary(True, problem=f"summary.json is not valid JSON ({error})")
    except RecursionError:
        return LoadedSummary(True, problem="summary.json is nested too deeply to read")
    problem = summary_problem(summary)
    return LoadedSummary(True, summary if problem is None else {}, problem)


def summary_problem(summary: Any) -> str | None:
    """Why a decoded summary cannot be shown, or None when every field read is sound."""
    if not isinstance(summary, dict):
        return f"summary.json holds {_described(summary)}, not an object"
    for key, (is_valid, expected) in _FIELDS.items():
        if key in summary and summary[key] is not None and not is_valid(summary[key]):
            return f'summary.json: "{key}" is {_described(summary[key])}, expected {expected}'
    return _models_problem(summary.get("models"))


def _models_problem(models: Any) -> str | None:
    for role, figures in (models or {}).items():
        if figures is None:
            continue
        if not isinstance(figures, dict):
            return (f'summary.json: "models.{role}" is {_described(figures)}, expected an '
                    "object of figures")
        for key in NUMERIC_FIGURES:
            if figures.get(key) is not None and not _is_number(figures[key]):
                return (f'summary.json: "models.{role}.{key}" is {_described(figures[key])}, '
                        "expected a number")
        if figures.get("note") is not None and not isinstance(figures["note"], str):
            return f'summary.json: "models.{role}.note" is {_described(figures["note"])}, ' \
                   "expected text"
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_time(value: Any) -> bool:
    """A time stamp a front-end can turn into a date."""
    if not _is_number(value):
        return False
    try:
        datetime.fromtimestamp(value)
    except (OverflowError, OSError, ValueError):
        return False
    return True


def _is_pid(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2 ** 31


def _is_finite(value: Any) -> bool:
    try:
        return _is_number(value) and math.isfinite(value)
    except OverflowError:  # an int too big for a float
        return False


def _is_flat_mapping(value: Any) -> bool:
    scalars = (str, int, float, bool, type(None))
    return isinstance(value, dict) and all(isinstance(item, scalars) for item in value.values())


_FIELDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "status": (lambda value: value in STATUSES, "one of " + ", ".join(STATUSES)),
    "name": (lambda value: isinstance(value, str), "text"),
    "run_id": (lambda value: isinstance(value, str), "text"),
    "host": (lambda value: isinstance(value, str), "text"),
    "error": (lambda value: isinstance(value, str), "text"),
    "started": (_is_time, "a time stamp (seconds since 1970)"),
    "ended": (_is_time, "a time stamp (seconds since 1970)"),
    "pid": (_is_pid, "a process id"),
    "process_started": (_is_finite, "a time stamp (seconds since 1970)"),
    "models": (lambda value: isinstance(value, dict), "an object of models"),
    "machine": (_is_flat_mapping, "an object of plain values"),
    "energy": (_is_flat_mapping, "an object of plain values"),  # the energy bill
    **{key: (_is_number, "a number") for key in ("retention", "compression", "speedup")},
}


def _described(value: Any) -> str:
    """A short, one-line picture of a value for a message (never the whole of it)."""
    if isinstance(value, (dict, list)):
        noun = "object" if isinstance(value, dict) else "list"
        if not value:
            return f"an empty {noun}"
        return f"{'an' if noun == 'object' else 'a'} {noun} of {len(value)} " \
               f"item{'' if len(value) == 1 else 's'}"
    if isinstance(value, str):
        shown = json.dumps(value[:40] + ("..." if len(value) > 40 else ""))
        return f"the text {shown}"
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."
