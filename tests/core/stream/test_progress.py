"""Run progress and ETA from events, with a fake clock."""
from __future__ import annotations

from workbench.core.stream.events import (PhaseEnded, PhasePlan, PhaseStarted, RunEnded,
                                          RunStarted, StepEnded)
from workbench.core.stream.progress import RunProgress, format_duration


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_fraction_and_eta_follow_the_plan():
    clock = Clock()
    progress = RunProgress(clock)
    plan = (PhasePlan("student", 2, 5), PhasePlan("baseline", 2, 5))
    progress.update(RunStarted("id", "x", plan, "cpu", 0, 0.0))
    assert progress.eta_seconds() is None and progress.describe() == "starting"
    progress.update(PhaseStarted("student", 2, 5))
    for step in range(1, 6):
        clock.now += 1.0
        progress.update(StepEnded("student", 1, step, 1.0, 1.0, 0.0))
    assert progress.fraction == 0.25
    assert progress.eta_seconds() == 15.0  # 5 + 10 steps left at 1 s each
    assert progress.describe() == "distilling the student · epoch 1/2 · 15 s left"
    progress.update(PhaseEnded("student", 10.0))
    progress.update(PhaseStarted("baseline", 2, 5))
    assert progress.fraction == 0.5
    progress.update(RunEnded("completed", {}))
    assert progress.fraction == 1.0 and progress.eta_seconds() == 0.0


def test_format_duration():
    assert format_duration(5.4) == "5 s"
    assert format_duration(65) == "1 min 05 s"
    assert format_duration(3725) == "1 h 02 min"


def test_a_phase_without_phase_ended_counts_as_done_when_the_next_starts():
    progress = RunProgress(Clock())
    plan = (PhasePlan("student", 1, 4), PhasePlan("baseline", 1, 4))
    progress.update(RunStarted("id", "x", plan, "cpu", 0, 0.0))
    progress.update(PhaseStarted("student", 1, 4))
    progress.update(StepEnded("student", 1, 4, 1.0, 1.0, 0.0))
    progress.update(PhaseStarted("baseline", 1, 4))  # no PhaseEnded("student") before it
    assert progress.done_steps == 4
    progress.update(PhaseEnded("baseline", 1.0))
    assert progress.done_steps == 8 and progress.fraction == 1.0


def test_eta_uses_the_pace_of_the_phase_in_progress():
    clock = Clock()
    progress = RunProgress(clock)
    plan = (PhasePlan("cache", 1, 1), PhasePlan("student", 1, 10), PhasePlan("baseline", 1, 10))
    progress.update(RunStarted("id", "x", plan, "cpu", 0, 0.0))
    progress.update(PhaseStarted("cache", 1, 1))
    clock.now = 100.0  # a slow phase with a single step
    progress.update(PhaseEnded("cache", 100.0))
    progress.update(PhaseStarted("student", 1, 10))
    clock.now = 105.0
    progress.update(StepEnded("student", 1, 5, 1.0, 1.0, 0.0))
    assert progress.eta_seconds() == 15.0  # 5 + 10 steps at 1 s, not at 105 s / 6 steps


def test_caching_teacher_outputs_moves_the_bar():
    from workbench.core.stream.events import PhaseProgress

    progress = RunProgress(clock=lambda: 0.0)
    progress.update(RunStarted("r", "x", (PhasePlan("cache", 1, 4), PhasePlan("student", 1, 4)),
                               "cpu", 0, 0.0))
    progress.update(PhaseStarted("cache", 1, 4))
    progress.update(PhaseProgress("cache", 2))
    assert progress.done_steps == 2 and progress.fraction == 0.25
