"""Where a run stands: phase, epoch, overall fraction and an ETA, from engine events alone.

Front-ends (progress bar, console) feed events in and read the figures out;
the clock is injectable so the estimate can be tested without waiting.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from workbench.core.stream.events import (Event, PhaseEnded, PhaseStarted, RunEnded,
                                          PhaseProgress, RunStarted, StepEnded, ThreadsChanged)

PHASE_LABELS = {"teacher": "training the teacher", "cache": "caching teacher outputs",
                "student": "distilling the student", "baseline": "training the baseline",
                "benchmark": "benchmarking"}


MIN_STEPS = 3  # steps a phase must have run before its own pace is trusted
ESTIMATING = "estimating…"


def _kind(phase: str) -> str:
    """Phases that train a student-sized model (student, baseline, peers, generations) share
    a pace; the teacher, the cache and the benchmark each have their own."""
    return phase if phase in ("teacher", "cache", "benchmark") else "student"


class RunProgress:
    """Step-weighted progress over the run's plan, and ETAs from measured paces.

    Each phase is timed from its own steps once ``MIN_STEPS`` have run (before
    that it is "estimating…"); a later phase is estimated only from a phase of
    the same kind that has been measured, never from another phase's first seconds.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.total_steps = 0
        self.plan: dict[str, int] = {}
        self.epochs: dict[str, int] = {}
        self.done_before_phase = 0
        self.phase = ""
        self.epoch = 0
        self.phase_steps = 0
        self.finished = False
        self.paces: dict[str, float] = {}  # seconds per step, by phase kind, once measured
        self._phase_started = 0.0
        self._first_seen: tuple[float, int] | None = None  # (time, step) of the phase's first step
        self._ended: set[str] = set()
        self.shard: PhaseProgress | None = None  # the cache phase's latest shard report
        self.threads_lowered: ThreadsChanged | None = None  # the latest, if a core was taken

    def update(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.plan = {p.phase: p.epochs * p.steps_per_epoch for p in event.plan}
            self.epochs = {p.phase: p.epochs for p in event.plan}
            self.total_steps = sum(self.plan.values())
        elif isinstance(event, PhaseStarted):
            if self.phase and self.phase not in self._ended:
                # A phase that never sent PhaseEnded (the student phase does not) is over
                # once the next one starts.
                self._end_phase(self.phase)
            self.phase, self.epoch, self.phase_steps = event.phase, 1, 0
            self.shard = None
            self._phase_started, self._first_seen = self._clock(), None
        elif isinstance(event, (StepEnded, PhaseProgress)):
            if isinstance(event, StepEnded):
                self.epoch = event.epoch
            elif event.shards:
                self.shard = event
            self.phase_steps = event.step
            if self._first_seen is None:
                self._first_seen = (self._clock(), event.step)
        elif isinstance(event, PhaseEnded) and event.phase not in self._ended:
            self._end_phase(event.phase)
            self.phase_steps = 0
        elif isinstance(event, ThreadsChanged):
            self.threads_lowered = event
        elif isinstance(event, RunEnded):
            self.finished = True

    def _end_phase(self, phase: str) -> None:
        pace = self.phase_pace()
        if pace is not None:
            self.paces[_kind(phase)] = pace
        self.done_before_phase += self.plan.get(phase, 0)
        self._ended.add(phase)

    @property
    def done_steps(self) -> int:
        return self.done_before_phase + self.phase_steps

    @property
    def fraction(self) -> float:
        if self.finished:
            return 1.0
        return min(1.0, self.done_steps / self.total_steps) if self.total_steps else 0.0

    @property
    def phase_fraction(self) -> float:
        planned = self.plan.get(self.phase, 0)
        return min(1.0, self.phase_steps / planned) if planned else 0.0

    def phase_pace(self) -> float | None:
        """Seconds per step of the phase in progress, or None before ``MIN_STEPS`` steps."""
        if self.phase_steps < MIN_STEPS:
            return None
        now = self._clock()
        if self._first_seen is not None and self.phase_steps - self._first_seen[1] >= 2:
            # From the first step on: the phase's set-up is not a step.
            first_time, first_step = self._first_seen
            return max(0.0, now - first_time) / (self.phase_steps - first_step)
        return max(0.0, now - self._phase_started) / self.phase_steps

    def phase_eta_seconds(self) -> float | None:
        """Seconds left in the phase in progress, or None while estimating."""
        if self.finished:
            return 0.0
        if self.shard is not None and self.shard.eta_s is not None:
            return self.shard.eta_s  # images left at the measured rate, from the first shard
        pace = self.phase_pace()
        if pace is None:
            return None
        return max(0, self.plan.get(self.phase, 0) - self.phase_steps) * pace

    def eta_seconds(self) -> float | None:
        """Seconds left in the run, or None while some remaining phase has no measured pace.

        The benchmark (a few short measurements) is left out rather than guessed.
        """
        in_phase = self.phase_eta_seconds()
        if in_phase is None or self.finished:
            return in_phase
        paces = {**self.paces, _kind(self.phase): self.phase_pace()}
        total = in_phase
        for phase, steps in self.plan.items():
            if phase == self.phase or phase in self._ended or phase == "benchmark":
                continue
            pace = paces.get(_kind(phase))
            if pace is None:
                return None
            total += steps * pace
        return total

    def describe(self) -> str:
        """``distilling the student · epoch 2/4 · 40% · 25 s left in this phase · run 1 min 05 s``."""
        if not self.phase:
            return "starting"
        parts = [PHASE_LABELS.get(self.phase, self.phase)]
        epochs = self.epochs.get(self.phase, 0)
        if epochs > 1:
            parts.append(f"epoch {self.epoch}/{epochs}")
        if self.finished:
            return " · ".join(parts)
        if self.plan.get(self.phase, 0) > 1:
            parts.append(f"{100 * self.phase_fraction:.0f}%")
        if self.shard is not None:
            parts.append(f"shard {self.shard.step}/{self.shard.shards} · "
                         f"{self.shard.images_per_s:,.0f} images/s")
        if self.threads_lowered is not None:
            after = self.threads_lowered.after
            parts.append(f"{after} thread{'s' if after > 1 else ''} (a core was taken)")
        phase_eta, run_eta = self.phase_eta_seconds(), self.eta_seconds()
        if phase_eta is None:
            parts.append(ESTIMATING)
            return " · ".join(parts)
        parts.append(f"{format_duration(phase_eta)} left in this phase")
        if run_eta is not None and run_eta > phase_eta + 0.5:
            parts.append(f"run {format_duration(run_eta)}")
        return " · ".join(parts)


def threads_changed_text(event: ThreadsChanged) -> str:
    """One line for a person: why the run now uses fewer threads."""
    return (f"another program took a core: {PHASE_LABELS.get(event.phase, event.phase)} goes on "
            f"with {event.after} torch thread{'s' if event.after > 1 else ''} instead of "
            f"{event.before} (a step took {event.slow_step_ms:.1f} ms, "
            f"{event.best_step_ms:.1f} ms before)")


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
