"""Events the engine emits: small frozen dataclasses of plain Python values.

Consumers (console reporter, run store, Qt bridge) subscribe to the same
stream; nothing from torch crosses a thread.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class PhasePlan:
    phase: str  # "teacher" | "cache" | "student" | "baseline" | "benchmark"
    epochs: int
    steps_per_epoch: int


@dataclass(frozen=True, slots=True)
class RunStarted:
    run_id: str
    name: str
    plan: tuple[PhasePlan, ...]
    device: str
    seed: int
    time: float


@dataclass(frozen=True, slots=True)
class PhaseStarted:
    phase: str
    epochs: int
    steps_per_epoch: int


@dataclass(frozen=True, slots=True)
class StepEnded:
    phase: str
    epoch: int
    step: int  # 1-based, counted over the whole phase
    loss: float
    hard: float
    soft: float


@dataclass(frozen=True, slots=True)
class PhaseProgress:
    """Progress of a phase without losses (caching teacher outputs): ``step`` of its plan.

    The cache phase counts shards and adds what a person waits on: images done,
    images per second and the seconds left at that rate (None: not known yet).
    """

    phase: str
    step: int
    images: int = 0
    images_per_s: float = 0.0
    eta_s: float | None = None
    shards: int = 0  # planned shards (0: not counted in shards)


@dataclass(frozen=True, slots=True)
class EpochEnded:
    phase: str
    epoch: int
    metrics: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class PhaseEnded:
    phase: str
    seconds: float
    metrics: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunPaused:
    paused: bool  # True when pausing, False when resuming


@dataclass(frozen=True, slots=True)
class ThreadsChanged:
    """Another program took a core mid-run: training goes on with fewer torch threads."""

    phase: str
    epoch: int
    step: int
    before: int
    after: int
    best_step_ms: float
    slow_step_ms: float


@dataclass(frozen=True, slots=True)
class RunEnded:
    status: str  # "completed" | "stopped" | "failed"
    summary: Mapping[str, Any]
    error: str | None = None


Event = (RunStarted | PhaseStarted | StepEnded | PhaseProgress | EpochEnded | PhaseEnded
         | RunPaused | ThreadsChanged | RunEnded)


def event_name(event: Event) -> str:
    """``StepEnded`` -> ``step_ended``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(event).__name__).lower()


def event_to_dict(event: Event) -> dict[str, Any]:
    return {"event": event_name(event), **asdict(event)}
