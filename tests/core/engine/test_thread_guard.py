"""The thread guard: a run on a chosen count goes on with fewer threads when another
program takes a core mid-run, says so, and a resume continues with the lowered count."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from workbench.core.engine import pipeline, thread_guard
from workbench.core.engine.pipeline import run_experiment
from workbench.core.engine.thread_guard import COOLDOWN, SLOW_RATIO, STRETCH, ThreadGuard
from workbench.core.runs.resume import open_resume
from workbench.core.runs.store import RunStore, read_run
from workbench.core.stream.control import RunControl
from workbench.core.stream.events import (Event, PhaseStarted, StepEnded,
                                          ThreadsChanged)
from workbench.core.stream.progress import RunProgress, threads_changed_text

from tests.core.conftest import stop_after, tiny_preset


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Looks:
    """A stand-in for ``free_cores`` that counts how often it was asked."""

    def __init__(self, free: int) -> None:
        self.free, self.calls = free, 0

    def __call__(self) -> int:
        self.calls += 1
        return self.free


@pytest.fixture(autouse=True)
def _restore_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def guard_on(threads: int, free: int) -> tuple[ThreadGuard, Clock, Looks, list[int]]:
    clock, looks, told = Clock(), Looks(free), []
    guard = ThreadGuard(look=looks, clock=clock)
    guard.watch(threads, told.append)
    guard.phase_started()
    return guard, clock, looks, told


def steps(guard: ThreadGuard, clock: Clock, count: int, seconds: float) -> list:
    changes = []
    for _ in range(count):
        clock.now += seconds
        change = guard.step_ended()
        if change is not None:
            changes.append(change)
    return changes


def test_slow_steps_and_a_taken_core_lower_the_count_to_the_free_cores() -> None:
    guard, clock, looks, told = guard_on(threads=2, free=1)
    assert steps(guard, clock, STRETCH + 1, 0.001) == []  # the first stretch sets the best
    changes = steps(guard, clock, STRETCH, 0.030)
    assert len(changes) == 1 and looks.calls == 1
    change = changes[0]
    assert (change.before, change.after) == (2, 1)
    assert change.best_step_ms == pytest.approx(1.0) and change.slow_step_ms == pytest.approx(30.0)
    assert torch.get_num_threads() == 1 and told == [1] and guard.threads == 1
    assert guard.summary() == [{"before": 2, "after": 1, "best_step_ms": pytest.approx(1.0),
                                "slow_step_ms": pytest.approx(30.0)}]
    assert steps(guard, clock, 5 * STRETCH, 0.030) == [] and looks.calls == 1  # 1 is the floor


def test_slow_steps_with_every_core_free_keep_the_count_and_wait_before_looking_again() -> None:
    guard, clock, looks, told = guard_on(threads=2, free=2)
    steps(guard, clock, STRETCH + 1, 0.001)
    assert steps(guard, clock, STRETCH, 0.030) == [] and looks.calls == 1
    steps(guard, clock, COOLDOWN * STRETCH + 1, 0.030)  # + 1: the look's own pause is no step
    assert looks.calls == 1  # cooling down
    steps(guard, clock, STRETCH, 0.030)
    assert looks.calls == 2 and told == [] and guard.threads == 2


def test_a_stretch_under_the_slow_ratio_does_not_look() -> None:
    guard, clock, looks, _ = guard_on(threads=2, free=1)
    steps(guard, clock, STRETCH + 1, 0.001)
    steps(guard, clock, 3 * STRETCH, 0.001 * SLOW_RATIO * 0.95)
    assert looks.calls == 0
    steps(guard, clock, STRETCH, 0.001 * SLOW_RATIO * 1.05)
    assert looks.calls == 1


def test_one_slow_step_in_a_stretch_does_not_make_it_slow() -> None:
    guard, clock, looks, _ = guard_on(threads=2, free=1)
    steps(guard, clock, STRETCH + 1, 0.001)
    for _ in range(4):
        steps(guard, clock, STRETCH // 2, 0.001)
        steps(guard, clock, 1, 0.001 * (1 + 0.3 * STRETCH * (SLOW_RATIO - 1)))  # a re-sort
        steps(guard, clock, STRETCH - STRETCH // 2 - 1, 0.001)
    assert looks.calls == 0


def test_a_share_of_steps_waiting_a_scheduler_slice_makes_a_stretch_slow() -> None:
    """A core shared with another program: most steps as before, a fifth wait ~4 ms."""
    guard, clock, looks, _ = guard_on(threads=2, free=1)
    steps(guard, clock, STRETCH + 1, 0.001)
    for _ in range(STRETCH // 5):
        steps(guard, clock, 4, 0.0011)
        steps(guard, clock, 1, 0.005)
    assert looks.calls == 1 and guard.threads == 1


def test_the_time_between_epochs_is_not_a_step() -> None:
    guard, clock, looks, _ = guard_on(threads=2, free=1)
    for _ in range(3):
        guard.epoch_started()
        clock.now += 60.0  # validation, a checkpoint
        steps(guard, clock, STRETCH + 1, 0.001)
    assert looks.calls == 0


def test_each_phase_compares_with_its_own_best() -> None:
    guard, clock, looks, _ = guard_on(threads=2, free=1)
    steps(guard, clock, 2 * STRETCH + 1, 0.001)  # a small student
    guard.phase_started()
    steps(guard, clock, 4 * STRETCH + 1, 0.100)  # a teacher-sized model after it
    assert looks.calls == 0


@pytest.mark.parametrize("threads", [None, 1])
def test_a_guard_not_watching_or_on_one_thread_never_looks(threads: int | None) -> None:
    clock, looks = Clock(), Looks(1)
    guard = ThreadGuard(look=looks, clock=clock)
    if threads is not None:
        guard.watch(threads)
    guard.phase_started()
    steps(guard, clock, STRETCH + 1, 0.001)
    assert steps(guard, clock, 4 * STRETCH, 1.0) == [] and looks.calls == 0


def test_the_progress_line_and_the_message_say_what_happened() -> None:
    event = ThreadsChanged("student", 2, 300, 2, 1, 0.9, 31.0)
    progress = RunProgress()
    progress.update(PhaseStarted("student", 3, 200))
    assert "thread" not in progress.describe()
    progress.update(event)
    assert "1 thread (a core was taken)" in progress.describe()
    text = threads_changed_text(event)
    assert "1 torch thread instead of 2" in text and "31.0 ms" in text and "0.9 ms" in text


# --- in a run ------------------------------------------------------------------------------

UNSET = ["train.threads=null", "train.epochs=3"]


class SlowingClock:
    """Each step takes a millisecond longer than the one before, whatever the machine does:
    every stretch after a phase's first is slower than its best, and by more than
    ``SLOW_RATIO`` while stretches are short (the real clock let a warming-up run's
    stretches get faster, so the guard sometimes never looked in the first epoch)."""

    def __init__(self) -> None:
        self.now, self.step = 0.0, 0.0

    def perf_counter(self) -> float:
        self.step += 0.001
        self.now += self.step
        return self.now


@pytest.fixture
def core_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run on 2 chosen threads whose steps keep getting slower, on a machine where another
    program holds a core."""
    monkeypatch.setattr(pipeline, "default_threads", lambda _preset, _dataset: 2)
    monkeypatch.setattr(thread_guard, "free_cores", lambda: 1)
    monkeypatch.setattr(thread_guard, "STRETCH", 2)
    monkeypatch.setattr(thread_guard, "time", SlowingClock())


def counting_threads(seen: list[tuple[str, int]]):
    def record(event: Event) -> None:  # called in the training thread, step by step
        if isinstance(event, StepEnded):
            seen.append(("step", torch.get_num_threads()))
        elif isinstance(event, ThreadsChanged):
            seen.append(("changed", event.after))
    return record


def test_a_run_on_a_chosen_count_goes_on_with_the_free_cores(core_taken: None) -> None:
    seen: list[tuple[str, int]] = []
    result = run_experiment(tiny_preset(*UNSET), callbacks=[counting_threads(seen)])
    assert result.status == "completed"
    changed = seen.index(("changed", 1))
    assert {count for kind, count in seen[:changed] if kind == "step"} == {2}
    assert {count for kind, count in seen[changed + 1:] if kind == "step"} == {1}
    assert result.summary["train_threads"] == 1
    assert [(c["before"], c["after"]) for c in result.summary["thread_changes"]] == [(2, 1)]


def test_a_count_someone_set_is_never_changed(core_taken: None) -> None:
    seen: list[tuple[str, int]] = []
    result = run_experiment(tiny_preset("train.threads=2", "train.epochs=3"),
                            callbacks=[counting_threads(seen)])
    assert {count for kind, count in seen if kind == "step"} == {2}
    assert result.summary["train_threads"] == 2 and result.summary["thread_changes"] == []


def test_a_resumed_run_goes_on_with_the_lowered_count(core_taken: None, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    preset = tiny_preset(*UNSET)
    control, store = RunControl(), RunStore(tmp_path, preset)
    first = run_experiment(preset, recorder=store, control=control,
                           callbacks=[stop_after(control, "student", 1)])
    assert first.status == "stopped" and first.summary["train_threads"] == 1
    monkeypatch.setattr(thread_guard, "SLOW_RATIO", 1e9)  # the other program is gone
    seen: list[tuple[str, int]] = []
    start = open_resume(read_run(store.path))
    resumed = run_experiment(start.preset, recorder=start.store, resume_state=start.state,
                             callbacks=[counting_threads(seen)])
    assert resumed.status == "completed" and resumed.summary["train_threads"] == 1
    assert {count for kind, count in seen if kind == "step"} == {1}
