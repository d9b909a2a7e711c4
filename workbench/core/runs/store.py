"""The run store: ``runs/<id>/{preset.yaml, metrics.jsonl, summary.json, ckpt/}``.

``RunStore`` is the one writer of a run folder: an event consumer that also
receives checkpoints. Listing reads folders back, stopped and crashed runs too.
"""
from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import psutil
import yaml
from torch import nn

from workbench.core.models.weights import save_checkpoint
from workbench.core.stream.events import Event, RunEnded, RunStarted, event_to_dict
from workbench.core.runs.ids import new_run_id
from workbench.core.presets.experiment import ExperimentPreset


def _write_json(path: Path, data: dict[str, Any]) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    os.replace(partial, path)


class RunStore:
    """Records one run. Created by a front-end, passed to ``run_experiment(recorder=...)``."""

    def __init__(self, runs_dir: Path, preset: ExperimentPreset, run_id: str | None = None) -> None:
        self.run_id = run_id or new_run_id(preset.name)
        self.path = Path(runs_dir) / self.run_id
        self.preset = preset
        self._metrics: IO[str] | None = None
        self._header: dict[str, Any] = {}

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._open(event)
        if self._metrics is not None:
            self._metrics.write(json.dumps(event_to_dict(event), default=str) + "\n")
            self._metrics.flush()
        if isinstance(event, RunEnded):
            self._close(event)

    def save_checkpoint(self, name: str, model: nn.Module, meta: dict[str, Any]) -> None:
        save_checkpoint(self.path / "ckpt" / f"{name}.pt", model, meta)

    def _open(self, event: RunStarted) -> None:
        self.path.mkdir(parents=True, exist_ok=False)
        text = yaml.safe_dump(self.preset.to_dict(), sort_keys=False)
        (self.path / "preset.yaml").write_text(text, encoding="utf-8")
        self._header = {"run_id": self.run_id, "name": self.preset.name,
                        "preset_source": self.preset.source, "started": event.time,
                        "pid": os.getpid(), "host": socket.gethostname(),
                        "device": event.device, "seed": event.seed}
        _write_json(self.path / "summary.json", {**self._header, "status": "running"})
        self._metrics = open(self.path / "metrics.jsonl", "a", encoding="utf-8")

    def _close(self, event: RunEnded) -> None:
        summary = {**self._header, **event.summary, "status": event.status,
                   "error": event.error, "ended": time.time()}
        _write_json(self.path / "summary.json", summary)
        if self._metrics is not None:
            self._metrics.close()
            self._metrics = None


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    path: Path
    name: str
    status: str  # completed | stopped | failed | running | crashed
    started: float | None
    summary: dict[str, Any]

    def accuracy(self, role: str) -> float | None:
        return (self.summary.get("models", {}).get(role) or {}).get("accuracy")


def read_run(path: Path) -> RunInfo | None:
    summary_path = path / "summary.json"
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        if not (path / "metrics.jsonl").exists():
            return None
        summary = {"status": "crashed"}
    status = summary.get("status", "crashed")
    if status == "running" and not _still_running(summary):
        status = "crashed"
    return RunInfo(path.name, path, summary.get("name", path.name), status,
                   summary.get("started"), summary)


def _still_running(summary: dict[str, Any]) -> bool:
    if summary.get("host") != socket.gethostname():
        return True  # another machine's run: we cannot tell
    pid = summary.get("pid")
    return isinstance(pid, int) and psutil.pid_exists(pid)


def list_runs(runs_dir: Path) -> list[RunInfo]:
    """Every run folder, newest first."""
    if not Path(runs_dir).is_dir():
        return []
    runs = [info for child in Path(runs_dir).iterdir() if child.is_dir()
            if (info := read_run(child)) is not None]
    return sorted(runs, key=lambda info: info.started or 0.0, reverse=True)


def find_run(runs_dir: Path, reference: str) -> RunInfo | None:
    """A run by folder path, exact id, or unique id prefix."""
    path = Path(reference)
    if path.is_dir() and (info := read_run(path)) is not None:
        return info
    matches = [info for info in list_runs(runs_dir) if info.run_id.startswith(reference)]
    exact = [info for info in matches if info.run_id == reference]
    return (exact or matches)[0] if len(exact or matches) == 1 else None
