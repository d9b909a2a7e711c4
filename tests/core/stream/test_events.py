"""The event stream of a whole run: exact order, planned step counts, plain values."""
from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from typing import Any

import pytest
import torch

from workbench.core.measure.figures import ratios
from workbench.core.distill.strategy import TEACHING_PARAMS
from workbench.core.stream.events import (EpochEnded, PhaseEnded, PhasePlan, PhaseStarted,
                                          RunEnded, RunStarted, StepEnded, event_to_dict)

from tests.core.conftest import RecordedRun

TRAINING_PHASES = ("teacher", "student", "baseline")
TEACHING_DEFAULTS = {param.name: param.default for param in TEACHING_PARAMS}  # schedules...


def shape_of(event: Any) -> tuple[str, str | None, int | None]:
    return (type(event).__name__, getattr(event, "phase", None), getattr(event, "epoch", None))


def expected_shapes(plan: tuple[PhasePlan, ...], status: str = "completed") -> list[tuple]:
    shapes: list[tuple] = [("RunStarted", None, None)]
    for phase in plan:
        shapes.append(("PhaseStarted", phase.phase, None))
        if phase.phase in TRAINING_PHASES:
            for epoch in range(1, phase.epochs + 1):
                shapes += [("StepEnded", phase.phase, epoch)] * phase.steps_per_epoch
                shapes.append(("EpochEnded", phase.phase, epoch))
        if phase.phase == "cache":  # computed, not a cache hit: one PhaseProgress per chunk
            shapes += [("PhaseProgress", "cache", None)] * phase.steps_per_epoch
        shapes.append(("PhaseEnded", phase.phase, None))
    return shapes + [("RunEnded", None, None)]


def test_the_plan_matches_the_preset(tiny_run: RecordedRun) -> None:
    started = tiny_run.events[0]
    assert isinstance(started, RunStarted)
    assert started.run_id == tiny_run.result.run_id and started.name == "synthetic-quick"
    preset = tiny_run.preset
    train_rows = preset.data.train_limit - preset.data.val_size
    student_steps = math.ceil(train_rows / preset.train.batch_size)
    teacher_steps = math.ceil(train_rows / preset.teacher_train.batch_size)
    assert started.plan == (
        PhasePlan("teacher", preset.teacher_train.epochs, teacher_steps),
        PhasePlan("cache", 1, math.ceil(preset.data.train_limit / 1024) + math.ceil(2000 / 1024)),
        PhasePlan("student", preset.train.epochs, student_steps),
        PhasePlan("baseline", preset.train.epochs, student_steps),
        PhasePlan("benchmark", 1, 3))


def test_events_come_in_the_planned_order(tiny_run: RecordedRun) -> None:
    plan = tiny_run.events[0].plan
    assert [shape_of(event) for event in tiny_run.events] == expected_shapes(plan)


def test_run_ends_completed_with_the_result_summary(tiny_run: RecordedRun) -> None:
    last = tiny_run.events[-1]
    assert isinstance(last, RunEnded)
    assert last.status == "completed" == tiny_run.result.status and last.error is None
    assert dict(last.summary) == tiny_run.result.summary


def test_phase_started_announces_the_planned_steps(tiny_run: RecordedRun) -> None:
    plan = {phase.phase: phase for phase in tiny_run.events[0].plan}
    started = [event for event in tiny_run.events if isinstance(event, PhaseStarted)]
    assert [event.phase for event in started] == list(plan)
    for event in started:
        assert (event.epochs, event.steps_per_epoch) == (plan[event.phase].epochs,
                                                         plan[event.phase].steps_per_epoch)


def test_steps_are_counted_over_the_whole_phase(tiny_run: RecordedRun) -> None:
    for phase in TRAINING_PHASES:
        steps = [event.step for event in tiny_run.events
                 if isinstance(event, StepEnded) and event.phase == phase]
        assert steps == list(range(1, len(steps) + 1)) and steps


def test_step_and_epoch_metrics_are_finite(tiny_run: RecordedRun) -> None:
    for event in tiny_run.events:
        if isinstance(event, StepEnded):
            assert all(math.isfinite(value) for value in (event.loss, event.hard, event.soft))
        if isinstance(event, EpochEnded):
            assert {"train_loss", "lr", "val_loss", "val_acc"} <= set(event.metrics)
            assert 0.0 <= event.metrics["val_acc"] <= 1.0


def test_student_steps_carry_a_soft_loss_and_the_baseline_none(tiny_run: RecordedRun) -> None:
    soft = {phase: [event.soft for event in tiny_run.events
                    if isinstance(event, StepEnded) and event.phase == phase]
            for phase in ("student", "baseline")}
    assert all(value > 0 for value in soft["student"])
    assert all(value == 0 for value in soft["baseline"])


def test_cache_phase_reports_where_logits_came_from(tiny_run: RecordedRun) -> None:
    [cache] = [event for event in tiny_run.events
               if isinstance(event, PhaseEnded) and event.phase == "cache"]
    assert cache.metrics["origin"] == "computed"


def _assert_plain(value: Any, where: str) -> None:
    assert not isinstance(value, torch.Tensor), f"{where} is a tensor"
    if isinstance(value, (str, int, float, bool)) or value is None:
        return
    if isinstance(value, PhasePlan):
        _assert_plain(dataclasses.asdict(value), where)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            assert isinstance(key, str), f"{where} has key {key!r}"
            _assert_plain(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _assert_plain(item, f"{where}[{index}]")
    else:
        raise AssertionError(f"{where} holds {type(value).__name__}: {value!r}")


def test_events_are_frozen_dataclasses_of_plain_values(tiny_run: RecordedRun) -> None:
    for event in tiny_run.events:
        assert dataclasses.is_dataclass(event)
        assert type(event).__dataclass_params__.frozen, type(event).__name__
        first = dataclasses.fields(event)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(event, first, None)
        for item in dataclasses.fields(event):
            _assert_plain(getattr(event, item.name), f"{type(event).__name__}.{item.name}")
        json.dumps(event_to_dict(event))  # no default=str needed


def test_summary_holds_every_model_and_the_ratios(tiny_run: RecordedRun) -> None:
    summary = tiny_run.result.summary
    assert set(summary["models"]) >= {"teacher", "student", "baseline"}
    for role, figures in summary["models"].items():
        assert 0.0 <= figures["accuracy"] <= 1.0, role
        assert figures["params"] > 0 and figures["size_bytes"] > 0
        assert figures["latency_ms"] > 0 and figures["throughput"] > 0
    assert summary["models"]["teacher"]["params"] > summary["models"]["student"]["params"]
    assert summary["models"]["student"]["params"] == summary["models"]["baseline"]["params"]
    assert {key: summary[key] for key in ("retention", "compression", "speedup")} == \
        ratios(summary["models"])
    dataset = summary["dataset"]
    assert {key: dataset[key] for key in ("name", "source", "train", "val", "labeled",
                                          "test")} == {
        "name": "synthetic", "source": "procedural (seed 0)", "train": 1000, "val": 200,
        "labeled": 1000, "test": 2000}
    assert dataset["classes"][:2] == ["horizontal bar", "vertical bar"]  # names, not indices
    assert dataset["input_shape"] == [1, 28, 28] and dataset["notes"] == []
    assert dataset["normalization"] == {"mean": [pytest.approx(0.2)],
                                        "std": [pytest.approx(0.3)]}  # the fixed fallback
    assert summary["distill"] == {"method": "offline", "alpha": 0.5, "temperature": 4.0,
                                  "teacher_noise": 0.0, "top_k": 0, **TEACHING_DEFAULTS,
                                  **{key: summary["distill"][key] for key in ("fusion", "views")
                                     if key in summary["distill"]}}
