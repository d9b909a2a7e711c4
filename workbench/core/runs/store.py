"""The run store: ``runs/<id>/{preset.yaml, metrics.jsonl, summary.json, ckpt/}``.

``RunStore`` is the one writer of a run folder: an event consumer that also
receives checkpoints. Listing reads folders back, stopped and crashed runs too.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import psutil
import torch
import yaml
from torch import nn

from workbench.core.files import atomic_write_json, atomic_write_text, atomic_writer
from workbench.core.errors import WorkbenchError
from workbench.core.models.weights import save_checkpoint
from workbench.core.stream.events import Event, RunEnded, RunStarted, event_to_dict
from workbench.core.runs.disk import (RunWriteFailed, append_whole, failed_target, os_error_in,
                                      quietly)
from workbench.core.runs.ids import new_run_id
from workbench.core.runs.summary_check import load_summary
from workbench.core.presets.experiment import ExperimentPreset


RESUME_STATE = Path("ckpt", "resume.pt")  # inside a run folder


class RunStore:
    """Records one run. Created by a front-end, passed to ``run_experiment(recorder=...)``."""

    def __init__(self, runs_dir: Path, preset: ExperimentPreset, run_id: str | None = None) -> None:
        self.run_id = run_id or new_run_id(preset.name)
        self.path = Path(runs_dir) / self.run_id
        self.preset = preset
        self._metrics: IO[str] | None = None
        self._header: dict[str, Any] = {}
        self._created = False  # this store made the folder (so may remove an empty start)
        self._failure: RunWriteFailed | None = None  # a write failed: the run is stopping

    def __call__(self, event: Event) -> None:
        """Record ``event``; a failed write raises RunWriteFailed (see core.runs.disk)."""
        if self._failure is not None:  # only the end of a stopping run is still recorded
            if isinstance(event, RunEnded):
                self._write_summary({**event.summary, "status": event.status,
                                     "error": event.error or str(self._failure)})
            return
        if isinstance(event, RunStarted):
            with self._writing(self.path):
                self._open(event)
        if self._metrics is not None:
            self._append_metrics(event)
        if isinstance(event, RunEnded):
            self._close(event)

    def save_checkpoint(self, name: str, model: nn.Module, meta: dict[str, Any]) -> None:
        path = self.path / "ckpt" / f"{name}.pt"
        with self._writing(path):
            save_checkpoint(path, model, meta)

    def save_resume_state(self, state: dict[str, Any]) -> None:
        """Replace ``ckpt/resume.pt`` whole (see core.runs.resume); a crash keeps the last one."""
        path = self.path / RESUME_STATE
        with self._writing(path), atomic_writer(path) as handle:
            torch.save(state, handle)

    def discard_resume_state(self) -> None:
        """A completed run needs no resume state (it may be large): remove it."""
        (self.path / RESUME_STATE).unlink(missing_ok=True)

    def _open(self, event: RunStarted) -> None:
        self._header = {"run_id": self.run_id, "name": self.preset.name,
                        "preset_source": self.preset.source, "started": event.time,
                        "pid": os.getpid(), "process_started": _process_start_time(),
                        "host": socket.gethostname(),
                        "device": event.device, "seed": event.seed}
        self.path.mkdir(parents=True, exist_ok=False)
        self._created = True
        text = yaml.safe_dump(self.preset.to_dict(), sort_keys=False)
        with self._writing(self.path / "preset.yaml"):
            atomic_write_text(self.path / "preset.yaml", text)
        with self._writing(self.path / "summary.json"):
            atomic_write_json(self.path / "summary.json", {**self._header, "status": "running"},
                              default=str)
        self._metrics = open(self.path / "metrics.jsonl", "a", encoding="utf-8")

    def _close(self, event: RunEnded) -> None:
        summary = {**self._header, **event.summary, "status": event.status,
                   "error": event.error, "ended": time.time()}
        with self._writing(self.path / "summary.json"):
            atomic_write_json(self.path / "summary.json", summary, default=str)
        if self._metrics is not None:
            self._metrics.close()
            self._metrics = None

    def _append_metrics(self, event: Event) -> None:
        """One JSON line; a failed write is cut back off, so no half line stays behind."""
        assert self._metrics is not None
        path = self.path / "metrics.jsonl"
        line = (json.dumps(event_to_dict(event), default=str) + "\n").encode("utf-8")
        with self._writing(path):
            self._metrics.flush()  # whatever was written through the handle goes first
            append_whole(self._metrics.fileno(), line)  # unbuffered: nothing left to flush

    @contextmanager
    def _writing(self, path: Path) -> Iterator[None]:
        """Turn a failed write of ``path`` into RunWriteFailed, recording the run as failed first."""
        try:
            yield
        except RunWriteFailed:
            raise
        except Exception as error:
            os_error = os_error_in(error)
            if os_error is None:
                raise
            failure = RunWriteFailed(failed_target(os_error, path), os_error)
            self._give_up(failure)
            raise failure from None

    def _give_up(self, failure: RunWriteFailed) -> None:
        """Stop writing; keep the run as failed if anything can still be written.

        If even that fails, a summary saying "running" lists as crashed once this
        process is gone (see ``_still_running``); a folder with no summary at all
        is removed, as it would show nothing.
        """
        self._failure = failure
        if self._metrics is not None:
            quietly(self._metrics.close)
            self._metrics = None
        summary_written = self._write_summary({"status": "failed", "error": str(failure)})
        if not summary_written and self._created and not _exists(self.path / "summary.json"):
            shutil.rmtree(self.path, ignore_errors=True)
            self._created = False

    def _write_summary(self, fields: dict[str, Any]) -> bool:
        """Best effort, after a failed write: True when the summary was written."""
        if not _exists(self.path):
            return False  # removed, or never made: do not create it now
        summary = {**self._header, **fields, "ended": time.time()}
        try:
            atomic_write_json(self.path / "summary.json", summary, default=str)
        except (OSError, TypeError, ValueError):
            return False
        return True


UNREADABLE = "unreadable"  # a run folder whose summary cannot be used; see RunInfo.problem
# psutil derives a start time from the boot time, which moves with clock corrections.
START_TIME_TOLERANCE_S = 2.0


class RunStoreError(WorkbenchError):
    """The runs folder itself cannot be listed."""


@dataclass(frozen=True)
class RunInfo:
    """One run folder as read back; ``summary`` holds only checked fields (see summary_check)."""

    run_id: str
    path: Path
    name: str
    status: str  # completed | stopped | failed | running | crashed | unreadable
    started: float | None
    summary: dict[str, Any]
    problem: str | None = None  # why an "unreadable" run cannot be shown, in one line

    def accuracy(self, role: str) -> float | None:
        return ((self.summary.get("models") or {}).get(role) or {}).get("accuracy")


def read_run(path: Path) -> RunInfo | None:
    """A run folder read back, or None when the folder is no run at all.

    Never raises: a folder whose summary cannot be used is an "unreadable" run,
    so one bad folder cannot hide the others.
    """
    loaded = load_summary(path)
    if loaded.problem is not None:
        return RunInfo(path.name, path, path.name, UNREADABLE, None, {}, loaded.problem)
    if not loaded.present:
        if not _exists(path / "metrics.jsonl"):
            return None
        return RunInfo(path.name, path, path.name, "crashed", None, {})
    summary = loaded.summary
    status = summary.get("status") or "crashed"
    if status == "running" and not _still_running(summary):
        status = "crashed"
    return RunInfo(path.name, path, summary.get("name") or path.name, status,
                   summary.get("started"), summary)


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:
        return False


def _still_running(summary: dict[str, Any]) -> bool:
    """Whether the process that wrote a "running" summary is still that run.

    A pid alone is not enough: after a crash the system may give the same pid
    to another process, so the process start time must match too.
    """
    if summary.get("host") != socket.gethostname():
        return True  # another machine's run: we cannot tell
    pid = summary.get("pid")
    if not isinstance(pid, int):
        return False
    try:
        created = psutil.Process(pid).create_time()
    except psutil.AccessDenied:
        return True  # it exists; whose it is, we may not ask
    except (psutil.Error, ValueError, OverflowError):
        return False  # gone (a zombie too)
    recorded = summary.get("process_started")
    return recorded is None or abs(created - recorded) <= START_TIME_TOLERANCE_S


def _process_start_time() -> float | None:
    """When this process started; recorded with the pid to tell a live run from a reused pid."""
    try:
        return psutil.Process().create_time()
    except psutil.Error:
        return None


def list_runs(runs_dir: Path) -> list[RunInfo]:
    """Every run folder, newest first; unreadable ones included, at the end."""
    runs_dir = Path(runs_dir)
    if not _is_folder(runs_dir):
        return []
    try:
        children = list(runs_dir.iterdir())
    except OSError as error:
        raise RunStoreError(f"{runs_dir}: the runs folder cannot be read "
                            f"({error.strerror or error})") from None
    runs = [info for child in children if _is_folder(child)
            if (info := read_run(child)) is not None]
    return sorted(runs, key=lambda info: (info.started or 0.0, info.run_id), reverse=True)


def _is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def find_run(runs_dir: Path, reference: str) -> RunInfo | None:
    """A run by folder path, exact id, or unique id prefix."""
    path = Path(reference)
    if _is_folder(path) and (info := read_run(path)) is not None:
        return info
    matches = [info for info in list_runs(runs_dir) if info.run_id.startswith(reference)]
    exact = [info for info in matches if info.run_id == reference]
    return (exact or matches)[0] if len(exact or matches) == 1 else None
