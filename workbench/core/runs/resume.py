"""Re-opening a stopped or crashed run folder to continue it (``workbench run --resume``).

The run store replaces ``ckpt/resume.pt`` at every epoch end (see engine/resume.py
for what it holds), so a crash or a ``kill -9`` loses at most the epoch that was
running. Resuming reads the run's own ``preset.yaml`` and that state, and records
into the same folder: ``metrics.jsonl`` is appended to and ``summary.json`` goes
from "running" to how the resumed run ends.
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from workbench.core.errors import WorkbenchError
from workbench.core.files import atomic_write_json
from workbench.core.presets import load_experiment
from workbench.core.presets.experiment import ExperimentPreset
from workbench.core.runs.store import (RESUME_STATE, UNREADABLE, RunInfo, RunStore,
                                       _process_start_time)
from workbench.core.runs.summary_check import load_summary
from workbench.core.stream.events import RunStarted

STATE_VERSION = 1
RESUMABLE = ("stopped", "crashed")  # failed runs fail the same way again; see resume_problem


class ResumeError(WorkbenchError):
    """The run cannot be resumed: it is not stopped or crashed, or its state is unusable."""


@dataclass(frozen=True)
class ResumeStart:
    """What ``run_experiment`` needs to continue a run, and what to tell the person."""

    preset: ExperimentPreset
    store: RunStore
    state: dict[str, Any] | None
    notes: tuple[str, ...] = ()


def resume_problem(info: RunInfo) -> str | None:
    """Why ``info`` cannot be resumed (one line), or None when it can."""
    if info.status == UNREADABLE:
        return f"{info.path}: the run cannot be read ({info.problem})"
    if info.status == "completed":
        return f"{info.path}: the run already completed; there is nothing to resume"
    if info.status == "running":
        return f"{info.path}: the run is still running (pid {info.summary.get('pid')})"
    if info.status not in RESUMABLE:
        return (f"{info.path}: a {info.status} run cannot be resumed (only stopped or crashed "
                "runs); start the preset again instead")
    return None


def open_resume(info: RunInfo) -> ResumeStart:
    """The preset, store and state to continue ``info``; nothing is written yet.

    Raises:
        ResumeError: the run is not resumable or its resume state is unusable.
        PresetError: its ``preset.yaml`` is no longer valid.
    """
    problem = resume_problem(info)
    if problem is not None:
        raise ResumeError(problem)
    preset = load_experiment(info.path / "preset.yaml")
    state = load_resume_state(info.path)
    notes = () if state is not None else (
        f"{info.path} has no resume state (it stopped before its first epoch ended): "
        "its phases restart from the beginning in the same folder",)
    return ResumeStart(preset, ResumedRunStore(info.path, preset, info.summary), state, notes)


def load_resume_state(run_dir: Path) -> dict[str, Any] | None:
    """The saved state of a run folder, None when there is none.

    Raises:
        ResumeError: the file exists but is no resume state this version can use.
    """
    path = Path(run_dir) / RESUME_STATE
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - any damage is one message with the path
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise ResumeError(f"{path}: the resume state cannot be read ({first_line}); "
                          "the run folder was left as it was") from None
    problem = _state_problem(state)
    if problem is not None:
        raise ResumeError(f"{path}: {problem}; the run folder was left as it was")
    return state


def _state_problem(state: object) -> str | None:
    if not isinstance(state, dict):
        return "it holds no resume state"
    if state.get("version") != STATE_VERSION:
        return (f"resume state version {state.get('version')!r}; this workbench reads "
                f"version {STATE_VERSION}")
    if not isinstance(state.get("done"), list):
        return "its list of finished fits is missing"
    current = state.get("current")
    if current is not None and not (isinstance(current, dict) and
                                    isinstance(current.get("epoch"), int)):
        return "its interrupted fit has no epoch"
    return None


class ResumedRunStore(RunStore):
    """Records a resumed run into its existing folder instead of a new one."""

    def __init__(self, path: Path, preset: ExperimentPreset, summary: dict[str, Any]) -> None:
        super().__init__(Path(path).parent, preset, Path(path).name)
        self._previous = summary

    def _open(self, event: RunStarted) -> None:
        keep = ("run_id", "name", "preset_source", "started", "device", "seed")
        self._header = {**{key: self._previous[key] for key in keep if key in self._previous},
                        "run_id": self.run_id, "pid": os.getpid(),
                        "process_started": _process_start_time(), "host": socket.gethostname(),
                        "resumed": event.time}
        with self._writing(self.path / "summary.json"):
            atomic_write_json(self.path / "summary.json", {**self._header, "status": "running"},
                              default=str)
        metrics = self.path / "metrics.jsonl"
        torn = metrics.exists() and metrics.stat().st_size and not _ends_a_line(metrics)
        self._metrics = open(metrics, "a", encoding="utf-8")
        if torn:  # a kill in the middle of a line: keep that line apart from the new ones
            self._metrics.write("\n")


def _ends_a_line(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"
