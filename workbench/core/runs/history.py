"""Reading finished runs back for comparison: curves, configs, differences, Pareto fronts.

Everything here reads what ``RunStore`` wrote (``metrics.jsonl``, ``preset.yaml``);
nothing is kept in memory between calls, so a restarted app sees the same history.
"""
from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from workbench.core.errors import WorkbenchError
from workbench.core.presets.diff import differing_values
from workbench.core.presets.yaml_reader import PRESET_LIMITS, decode_text, load_yaml
from workbench.core.runs.safe_read import MiB, UnreadableFile, read_capped

MAX_LINE_BYTES = 1 * MiB  # one event of metrics.jsonl; longer lines are junk


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
    """Curves of a run from its ``metrics.jsonl``; lines that are not sound records are skipped.

    Never raises: a torn last line, a hand-edited file or a file that cannot be
    read gives the curves of the lines that could be used.
    """
    curves = RunCurves()
    path = Path(run_path) / "metrics.jsonl"
    try:
        if not path.is_file():  # also keeps pipes out: opening one would block
            return curves
        with open(path, "rb") as handle:
            for line in _bounded_lines(handle):
                try:
                    _add_record(curves, json.loads(line))
                except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
                    continue  # a half-written last line of a crashed run, or junk
    except OSError:
        pass  # unreadable: what was read so far is still worth showing
    return curves


def _bounded_lines(handle: BinaryIO) -> Iterator[bytes]:
    """The lines of a file, skipping any longer than ``MAX_LINE_BYTES`` without holding it."""
    while line := handle.readline(MAX_LINE_BYTES):
        if len(line) == MAX_LINE_BYTES and not line.endswith(b"\n"):
            while (rest := handle.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
            continue
        yield line


def _add_record(curves: RunCurves, record: dict[str, Any]) -> None:
    """Add one event of ``metrics.jsonl``; raises on a record of the wrong shape."""
    kind = record.get("event")
    if kind == "step_ended":
        values = {key: float(record[key]) for key in ("step", "loss", "hard", "soft")}
        phase = curves.steps.setdefault(str(record["phase"]), {key: [] for key in values})
        for key, value in values.items():
            phase[key].append(value)
    elif kind == "epoch_ended":
        metrics = {str(key): float(value) for key, value in record.get("metrics", {}).items()
                   if isinstance(value, (int, float)) and not isinstance(value, bool)}
        row = {"epoch": float(record["epoch"]), **metrics}
        curves.epochs.setdefault(str(record["phase"]), []).append(row)


def read_run_config(run_path: Path) -> dict[str, Any]:
    """The resolved preset a run was started with (empty if missing or unusable).

    Read with the preset reader's limits: a hand-made file full of aliases
    must not make a later diff of the configs expand it.
    """
    path = Path(run_path) / "preset.yaml"
    try:
        raw = read_capped(path, PRESET_LIMITS.max_bytes)
        data = load_yaml(decode_text(raw, str(path)), str(path))
    except (OSError, UnreadableFile, WorkbenchError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


DESCRIPTIVE_KEYS = ("name", "description")  # words about a run, not settings of it


def config_diff(configs: Sequence[Mapping[str, Any]],
                ignore: Sequence[str] = ()) -> list[tuple[str, list[Any]]]:
    """Only the dotted keys whose values differ between run configs, in a stable order.

    The same rule as ``presets diff``: a key some config lacks shows ``ABSENT``
    there (not None, which a config may hold), and an empty mapping is a value.
    Keys in ``ignore`` (say ``DESCRIPTIVE_KEYS``) are left out.
    """
    return [(key, values) for key, values in differing_values(configs) if key not in ignore]


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
    """Remove one run folder, refusing anything that is not a run inside ``runs_dir``.

    An unreadable run (its summary.json a folder, say) is still a run: deleting
    it is how a person gets rid of it.
    """
    runs_dir, run_path = Path(runs_dir).resolve(), Path(run_path).resolve()
    looks_like_run = any(os.path.lexists(run_path / name)
                         for name in ("summary.json", "metrics.jsonl"))
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
        teacher, data = _section(config, "teacher"), _section(config, "data")
        if (teacher.get("architecture") == architecture
                and _section(teacher, "args") == dict(args)
                and data.get("dataset") == dataset):
            return checkpoint, run.run_id
    return None


def _section(mapping: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A sub-mapping of a run's config, or {} when a hand-edited file holds something else."""
    value = mapping.get(key)
    return value if isinstance(value, dict) else {}
