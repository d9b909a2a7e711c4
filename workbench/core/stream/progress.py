"""Where a run stands: phase, epoch, overall fraction and an ETA, from engine events alone.

Front-ends (progress bar, console) feed events in and read the figures out;
the clock is injectable so the estimate can be tested without waiting.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from workbench.core.stream.events import (Event, PhaseEnded, PhaseStarted, RunEnded,
                                          PhaseProgress, RunStarted, StepEnded)

PHASE_LABELS = {"teacher": "training the teacher", "cache": "caching teacher outputs",
                "student": "distilling the student", "baseline": "training the baseline",
                "benchmark": "benchmarking"}


class RunProgress:
    """Step-weighted progress over the run's plan.

    The ETA assumes the remaining steps go at the current phase's pace (the
    whole run's pace until the phase has a step to measure).
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
        self._started = 0.0
        self._phase_started = 0.0
        self._ended: set[str] = set()

    def update(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.plan = {p.phase: p.epochs * p.steps_per_epoch for p in event.plan}
            self.epochs = {p.phase: p.epochs for p in event.plan}
            self.total_steps = sum(self.plan.values())
            self._started = self._clock()
        elif isinstance(event, PhaseStarted):
            if self.phase and self.phase not in self._ended:
                # A phase that never sent PhaseEnded (the student phase does not) is over
                # once the next one starts.
                self.done_before_phase += self.plan.get(self.phase, 0)
                self._ended.add(self.phase)
            self.phase, self.epoch, self.phase_steps = event.phase, 1, 0
            self._phase_started = self._clock()
        elif isinstance(event, StepEnded):
            self.epoch, self.phase_steps = event.epoch, event.step
        elif isinstance(event, PhaseProgress):
            self.phase_steps = event.step
        elif isinstance(event, PhaseEnded) and event.phase not in self._ended:
            self.done_before_phase += self.plan.get(event.phase, 0)
            self._ended.add(event.phase)
            self.phase_steps = 0
        elif isinstance(event, RunEnded):
            self.finished = True

    @property
    def done_steps(self) -> int:
        return self.done_before_phase + self.phase_steps

    @property
    def fraction(self) -> float:
        if self.finished:
            return 1.0
        return min(1.0, self.done_steps / self.total_steps) if self.total_steps else 0.0

    def eta_seconds(self) -> float | None:
        """Seconds left, or None until there is a pace to extrapolate."""
        if self.finished:
            return 0.0
        now = self._clock()
        if self.done_steps == 0 or now <= self._started:
            return None
        overall_pace = (now - self._started) / self.done_steps
        phase_pace = ((now - self._phase_started) / self.phase_steps
                      if self.phase_steps else overall_pace)
        in_phase = max(0, self.plan.get(self.phase, 0) - self.phase_steps)
        later = max(0, self.total_steps - self.done_before_phase - self.plan.get(self.phase, 0))
        # Later phases train models like this one; the overall pace would also count
        # phases with few, slow "steps" (caching teacher outputs) and overshoot.
        later_pace = phase_pace if self.phase_steps else overall_pace
        return in_phase * phase_pace + later * later_pace

    def describe(self) -> str:
        """``distilling the student · epoch 2/4 · 1 min 5 s left``."""
        if not self.phase:
            return "starting"
        parts = [PHASE_LABELS.get(self.phase, self.phase)]
        epochs = self.epochs.get(self.phase, 0)
        if epochs > 1:
            parts.append(f"epoch {self.epoch}/{epochs}")
        eta = self.eta_seconds()
        if eta is not None and not self.finished:
            parts.append(f"{format_duration(eta)} left")
        return " · ".join(parts)


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
