"""Cooperative stop and pause/resume, from the event stream and from another thread."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from workbench.core.stream.control import RunControl
from workbench.core.stream.events import RunEnded, RunPaused, StepEnded
from workbench.core.engine.pipeline import RunResult, run_experiment
from workbench.core.errors import RunStopped
from workbench.core.runs.store import RunStore, list_runs

from tests.core.conftest import tiny_preset


def is_step(event: Any, phase: str, step: int) -> bool:
    return isinstance(event, StepEnded) and event.phase == phase and event.step == step


def test_stop_at_a_step_ends_the_run_as_stopped(tmp_path: Path) -> None:
    control = RunControl()
    events: list[Any] = []

    def stop_at_student_step_3(event: Any) -> None:
        events.append(event)
        if is_step(event, "student", 3):
            control.request_stop()

    preset = tiny_preset()
    store = RunStore(tmp_path / "runs", preset)
    result = run_experiment(preset, callbacks=[stop_at_student_step_3], control=control,
                            recorder=store)
    assert result.status == "stopped"
    assert isinstance(events[-1], RunEnded) and events[-1].status == "stopped"
    assert [event for event in events if isinstance(event, RunEnded)] == [events[-1]]
    student_steps = [event.step for event in events
                     if isinstance(event, StepEnded) and event.phase == "student"]
    assert student_steps == [1, 2, 3]
    assert not any(getattr(event, "phase", None) in ("baseline", "benchmark") for event in events)
    summary = json.loads((store.path / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "stopped" and summary["run_id"] == result.run_id
    [info] = list_runs(tmp_path / "runs")
    assert (info.run_id, info.status) == (result.run_id, "stopped")


class Worker:
    """Runs a preset in a thread; the test always stops and joins it."""

    def __init__(self, preset: Any, control: RunControl,
                 callback: Callable[[Any], None]) -> None:
        self.result: RunResult | None = None
        self.error: BaseException | None = None
        self.control = control
        self.thread = threading.Thread(target=self._run, args=(preset, callback), daemon=True)

    def _run(self, preset: Any, callback: Callable[[Any], None]) -> None:
        try:
            self.result = run_experiment(preset, callbacks=[callback], control=self.control)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error

    def __enter__(self) -> Worker:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.thread.is_alive():
            self.control.request_stop()
        self.thread.join(timeout=120)
        assert not self.thread.is_alive(), "the training thread did not stop"


def test_pause_and_resume_from_another_thread() -> None:
    control = RunControl()
    events: list[Any] = []
    reached, release, paused = threading.Event(), threading.Event(), threading.Event()

    def callback(event: Any) -> None:
        events.append(event)
        if is_step(event, "student", 3):
            reached.set()
            release.wait(timeout=60)  # hold the loop until the test thread has paused it
        if isinstance(event, RunPaused) and event.paused:
            paused.set()

    preset = tiny_preset("train.baseline=false")
    with Worker(preset, control, callback) as worker:
        try:
            assert reached.wait(timeout=120)
            control.pause()
        finally:
            release.set()
        assert paused.wait(timeout=60)
        assert control.paused
        steps_when_paused = sum(isinstance(event, StepEnded) for event in events)
        for _ in range(5):
            time.sleep(0.1)
            assert worker.thread.is_alive()
            assert sum(isinstance(event, StepEnded) for event in events) == steps_when_paused
        control.resume()
        worker.thread.join(timeout=120)
    assert worker.error is None and worker.result is not None
    assert worker.result.status == "completed"
    pauses = [(index, event.paused) for index, event in enumerate(events)
              if isinstance(event, RunPaused)]
    assert [paused_flag for _, paused_flag in pauses] == [True, False]
    (pause_at, _), (resume_at, _) = pauses
    assert is_step(events[pause_at - 1], "student", 3)
    assert is_step(events[resume_at + 1], "student", 4)
    student_steps = [event.step for event in events
                     if isinstance(event, StepEnded) and event.phase == "student"]
    plan = {phase.phase: phase for phase in events[0].plan}["student"]
    assert student_steps == list(range(1, plan.epochs * plan.steps_per_epoch + 1))


def test_stop_wakes_a_paused_run() -> None:
    control = RunControl()
    events: list[Any] = []
    paused = threading.Event()

    def callback(event: Any) -> None:
        events.append(event)
        if is_step(event, "student", 2):
            control.pause()
        if isinstance(event, RunPaused) and event.paused:
            paused.set()

    with Worker(tiny_preset("train.baseline=false"), control, callback) as worker:
        assert paused.wait(timeout=120)
        control.request_stop()
        worker.thread.join(timeout=60)
    assert worker.error is None and worker.result is not None
    assert worker.result.status == "stopped"
    assert isinstance(events[-1], RunEnded) and events[-1].status == "stopped"


def test_control_flags() -> None:
    control = RunControl()
    control.checkpoint()  # running: returns at once
    control.pause()
    assert control.paused and not control.stop_requested
    control.resume()
    assert not control.paused
    control.request_stop()
    with pytest.raises(RunStopped):
        control.checkpoint()
