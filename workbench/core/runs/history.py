"""Reading finished runs back for comparison: curves, configs, differences, Pareto fronts.

Everything here reads what ``RunStore`` wrote (``metrics.jsonl``, ``preset.yaml``);
nothing is kept in memory between calls, so a restarted app sees the same history.
"""
from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workbench.core.errors import WorkbenchError


@dataclass
class RunCurves:
    """Per-phase step losses and per-epoch metrics of one run.

    ``steps[phase]`` maps "step", "loss", "hard", "soft" to lists of floats;
    ``epochs[phase]`` is a list of metric dicts, each with its "epoch".
    """

    steps: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    epochs: dict[str, list[dict[str, float]]] = field(default_factory=dict)

    def series(self, phase: str, metric: str) -> tuple[list[float], list[float]]:
        """(epochs, values) of one per-epoch metric, skipping epochs that lack it."""
        rows = [row for row in self.epochs.get(phase, []) if row.get(metric) is not None]
        return [row["epoch"] for row in rows], [row[metric] for row in rows]


def read_curves(run_path: Path) -> RunCurves:
    """Curves of a run from its ``metrics.jsonl``; unreadable lines are skipped."""
    curves = RunCurves()
    path = Path(run_path) / "metrics.jsonl"
    if not path.is_file():
        return curves
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a half-written last line of a crashed run
            kind = record.get("event")
            if kind == "step_ended":
                phase = curves.steps.setdefault(record["phase"], {
                    "step": [], "loss": [], "hard": [], "soft": []})
                for key in phase:
                    phase[key].append(float(record[key]))
            elif kind == "epoch_ended":
                row = {"epoch": float(record["epoch"]), **record.get("metrics", {})}
                curves.epochs.setdefault(record["phase"], []).append(row)
    return curves


def read_run_config(run_path: Path) -> dict[str, Any]:
    """The resolved preset a run was started with (empty if the file is missing)."""
    try:
        data = yaml.safe_load((Path(run_path) / "preset.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; lists stay values."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        dotted = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            flat.update(flatten(value, dotted))
        else:
            flat[dotted] = value
    return flat


_MISSING = object()


def config_diff(configs: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[Any]]]:
    """Only the dotted keys whose values differ between configs, in a stable order.

    A key absent from some config counts as different; its value there is None.
    """
    flats = [flatten(config) for config in configs]
    keys: list[str] = []
    for flat in flats:
        keys += [key for key in flat if key not in keys]
    differing = []
    for key in keys:
        values = [flat.get(key, _MISSING) for flat in flats]
        if any(value != values[0] for value in values[1:]):
            differing.append((key, [None if value is _MISSING else value for value in values]))
    return differing


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the (cost, score) points no other point beats, cheapest first.

    A point is dominated when another costs no more and scores no less, and is
    strictly better in one of the two.
    """
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1]))
    front: list[int] = []
    best_score = float("-inf")
    for index in order:
        if points[index][1] > best_score:
            front.append(index)
            best_score = points[index][1]
    return front


def delete_run(runs_dir: Path, run_path: Path) -> None:
    """Remove one run folder, refusing anything that is not a run inside ``runs_dir``."""
    runs_dir, run_path = Path(runs_dir).resolve(), Path(run_path).resolve()
    looks_like_run = (run_path / "summary.json").is_file() or (run_path / "metrics.jsonl").is_file()
    if run_path.parent != runs_dir or not looks_like_run:
        raise WorkbenchError(f"{run_path} is not a run folder inside {runs_dir}; not deleted")
    shutil.rmtree(run_path)


def find_trained_teacher(runs_dir: Path, architecture: str, args: Mapping[str, Any],
                         dataset: str) -> tuple[Path, str] | None:
    """The newest teacher checkpoint a completed run trained for this model and dataset.

    Lets a preview show soft labels for a preset whose teacher has no weights
    of its own, once any run has trained one. Returns (checkpoint, run id).
    """
    from workbench.core.runs.store import list_runs

    for run in list_runs(runs_dir):
        checkpoint = run.path / "ckpt" / "teacher.pt"
        if run.status != "completed" or not checkpoint.is_file():
            continue
        config = read_run_config(run.path)
        teacher = config.get("teacher") or {}
        if (teacher.get("architecture") == architecture
                and dict(teacher.get("args") or {}) == dict(args)
                and (config.get("data") or {}).get("dataset") == dataset):
            return checkpoint, run.run_id
    return None
