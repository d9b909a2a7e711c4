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
    assert progress.phase_eta_seconds() == 5.0
    assert progress.describe() == ("distilling the student · epoch 1/2 · 50% · "
                                   "5 s left in this phase · run 15 s")
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


def test_no_estimate_before_a_few_steps_and_none_from_another_kind_of_phase():
    clock = Clock()
    progress = RunProgress(clock)
    plan = (PhasePlan("teacher", 1, 100), PhasePlan("cache", 1, 10),
            PhasePlan("student", 1, 100), PhasePlan("benchmark", 1, 3))
    progress.update(RunStarted("id", "x", plan, "cpu", 0, 0.0))
    progress.update(PhaseStarted("teacher", 1, 100))
    clock.now = 30.0  # a slow first step (data loading, warm-up)
    progress.update(StepEnded("teacher", 1, 1, 1.0, 1.0, 0.0))
    assert progress.phase_eta_seconds() is None
    assert progress.describe() == "training the teacher · 1% · estimating…"
    for step in (2, 3, 4):
        clock.now += 0.5
        progress.update(StepEnded("teacher", 1, step, 1.0, 1.0, 0.0))
    # 0.5 s a step from the first step on, not 31.5 s / 4 steps.
    assert progress.phase_eta_seconds() == 48.0
    assert progress.eta_seconds() is None  # the cache and the student have not been timed
    progress.update(PhaseEnded("teacher", 80.0))
    progress.update(PhaseStarted("cache", 1, 10))
    from workbench.core.stream.events import PhaseProgress
    for step in range(1, 5):
        clock.now += 2.0
        progress.update(PhaseProgress("cache", step))
    assert progress.phase_eta_seconds() == 12.0  # 6 batches left at 2 s
    assert "caching teacher outputs · 40% · 12 s left in this phase" == progress.describe()
    progress.update(PhaseEnded("cache", 20.0))
    progress.update(PhaseStarted("student", 1, 100))
    for step in range(1, 11):
        clock.now += 0.1
        progress.update(StepEnded("student", 1, step, 1.0, 1.0, 0.0))
    assert round(progress.eta_seconds(), 6) == 9.0  # 90 steps at 0.1 s; the benchmark is left out
