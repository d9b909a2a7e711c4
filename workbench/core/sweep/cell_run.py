"""One cell of a sweep run as an ordinary run in the run store (in this or a worker process)."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from workbench.core.engine.pipeline import run_experiment
from workbench.core.engine.shared_work import SharedWork
from workbench.core.errors import WorkbenchError
from workbench.core.presets import load_experiment
from workbench.core.runs.store import RunStore
from workbench.core.stream.control import RunControl
from workbench.core.stream.events import EpochEnded, Event, PhaseEnded


@dataclass(frozen=True)
class CellJob:
    """Everything a worker needs, as plain values (it crosses a process boundary)."""

    preset: str
    overrides: tuple[str, ...]
    cell_id: str
    runs_dir: str
    threads: int | None  # the worker's thread budget; None: the engine's default
    shared_dir: str | None = None  # the sweep's shared work (baselines, teacher figures)


@dataclass(frozen=True)
class CellResult:
    cell_id: str
    status: str  # completed | stopped | failed
    run_id: str | None
    run_dir: str | None
    student_accuracy: float | None = None
    baseline_accuracy: float | None = None
    retention: float | None = None
    latency_ms: float | None = None
    threads_used: int | None = None  # torch.get_num_threads() while training, as measured
    cache_origin: str | None = None  # computed | disk | memory
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Watcher:
    """Notes what the run really did: its thread count while training, where logits came from."""

    def __init__(self) -> None:
        self.threads: int | None = None
        self.cache_origin: str | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, EpochEnded) and self.threads is None:
            self.threads = torch.get_num_threads()
        if isinstance(event, PhaseEnded) and event.phase == "cache":
            self.cache_origin = event.metrics.get("origin")


def run_cell(job: CellJob, control: RunControl | None = None) -> CellResult:
    """Run one cell; a failure becomes a failed result (one bad cell never ends the sweep)."""
    overrides = list(job.overrides)
    preset = load_experiment(job.preset, overrides)
    if job.threads is not None:  # a worker: its share of the cores for all of its work,
        budget = min(job.threads, preset.train.threads or job.threads)
        torch.set_num_threads(budget)  # data preparation and loading included
        preset = load_experiment(job.preset, overrides + [f"train.threads={budget}"])
    store, watcher = RunStore(Path(job.runs_dir), preset), _Watcher()
    try:
        shared = SharedWork(Path(job.shared_dir)) if job.shared_dir else None
        result = run_experiment(preset, callbacks=[watcher], recorder=store, control=control,
                                shared=shared)
    except WorkbenchError as error:
        return CellResult(job.cell_id, "failed", store.run_id, str(store.path), error=str(error),
                          threads_used=watcher.threads, cache_origin=watcher.cache_origin)
    return _result(job, str(result.status), store, result.summary, watcher)


def _result(job: CellJob, status: str, store: RunStore, summary: dict[str, Any],
            watcher: _Watcher) -> CellResult:
    models = summary.get("models") or {}
    student, baseline = models.get("student") or {}, models.get("baseline") or {}
    return CellResult(job.cell_id, status, store.run_id, str(store.path),
                      student.get("accuracy"), baseline.get("accuracy"),
                      summary.get("retention"), student.get("latency_ms"),
                      watcher.threads, watcher.cache_origin)
