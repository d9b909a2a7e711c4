"""Whole runs: alpha = 1 equivalence, determinism, label-scarce budgets, teacher weights."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import torch

from workbench.core.engine import context
from workbench.core.stream.events import EpochEnded, PhaseStarted, RunStarted, StepEnded
from workbench.core.engine.pipeline import run_experiment
from workbench.core.errors import PresetError
from workbench.core.runs.store import RunStore

from tests.core.conftest import RecordedRun, tiny_preset


def state_dict(folder: Path, name: str) -> dict[str, torch.Tensor]:
    payload = torch.load(folder / "ckpt" / f"{name}.pt", map_location="cpu", weights_only=True)
    return payload["state_dict"]


def same_weights(first: dict[str, torch.Tensor], second: dict[str, torch.Tensor]) -> bool:
    return first.keys() == second.keys() and all(torch.equal(first[key], second[key])
                                                 for key in first)


def val_history(events: list[Any]) -> list[tuple[str, int, float, float]]:
    return [(event.phase, event.epoch, event.metrics["val_loss"], event.metrics["val_acc"])
            for event in events if isinstance(event, EpochEnded)]


def test_alpha_one_student_equals_the_baseline_exactly(tmp_path: Path) -> None:
    preset = tiny_preset("distill.alpha=1")
    store = RunStore(tmp_path / "runs", preset)
    result = run_experiment(preset, recorder=store)
    assert result.status == "completed"
    student, baseline = state_dict(store.path, "student"), state_dict(store.path, "baseline")
    assert student and same_weights(student, baseline)
    models = result.summary["models"]
    assert models["student"]["accuracy"] == models["baseline"]["accuracy"]


def test_with_alpha_below_one_the_student_differs_from_the_baseline(
        tiny_run: RecordedRun) -> None:
    """The alpha = 1 test above can fail: distillation does change the weights."""
    folder = tiny_run.folder
    assert not same_weights(state_dict(folder, "student"), state_dict(folder, "baseline"))


def test_same_seed_twice_gives_identical_results(tiny_run: RecordedRun) -> None:
    events: list[Any] = []
    result = run_experiment(tiny_preset(), callbacks=[events.append])
    for role in ("teacher", "student", "baseline"):
        first, second = tiny_run.result.summary["models"][role], result.summary["models"][role]
        assert first["accuracy"] == second["accuracy"], role
        assert first["best_val_acc"] == second.get("best_val_acc"), role
    assert val_history(events) == val_history(tiny_run.events)
    losses = [event.loss for event in events if isinstance(event, StepEnded)]
    assert losses == [event.loss for event in tiny_run.events if isinstance(event, StepEnded)]


def test_another_seed_gives_another_student(tiny_run: RecordedRun, tmp_path: Path) -> None:
    preset = tiny_preset("train.seed=1", "train.baseline=false")
    store = RunStore(tmp_path / "runs", preset)
    run_experiment(preset, recorder=store)
    assert not same_weights(state_dict(store.path, "student"),
                            state_dict(tiny_run.folder, "student"))


def test_label_scarce_baseline_gets_the_students_step_budget(
        monkeypatch: pytest.MonkeyPatch) -> None:
    fitted: dict[str, dict[str, int]] = {}
    original = context.fit

    def spy(spec, phases, models, objective, train_set, *rest):
        labels = train_set.labels[train_set.rows]
        for phase in phases:
            fitted[phase] = {"rows": len(train_set), "labeled": int((labels >= 0).sum())}
        return original(spec, phases, models, objective, train_set, *rest)

    monkeypatch.setattr(context, "fit", spy)
    events: list[Any] = []
    preset = tiny_preset("data.labeled=100")
    result = run_experiment(preset, callbacks=[events.append])
    assert result.summary["dataset"]["labeled"] == 100
    assert fitted["baseline"] == {"rows": 100, "labeled": 100}
    assert fitted["teacher"] == {"rows": 100, "labeled": 100}
    assert fitted["student"] == {"rows": 1000, "labeled": 100}
    steps = Counter(event.phase for event in events if isinstance(event, StepEnded))
    assert steps["baseline"] == steps["student"] == preset.train.epochs * 8
    assert steps["teacher"] == preset.teacher_train.epochs * 1
    plan = {phase.phase: phase for phase in events[0].plan}
    assert plan["baseline"].steps_per_epoch == plan["student"].steps_per_epoch == 8
    started = {event.phase: event for event in events if isinstance(event, PhaseStarted)}
    assert started["baseline"].steps_per_epoch == 8


def test_a_teacher_with_weights_skips_training(tiny_run: RecordedRun) -> None:
    weights = tiny_run.folder / "ckpt" / "teacher.pt"
    args = dict(tiny_run.preset.teacher.args)
    teacher = ("teacher={architecture: cnn, weights: '%s', args: {channels: %s, "
               "convs_per_block: %d, hidden: %d}}" % (weights, args["channels"],
                                                      args["convs_per_block"], args["hidden"]))
    events: list[Any] = []
    result = run_experiment(tiny_preset(teacher, "train.baseline=false"),
                            callbacks=[events.append])
    assert [phase.phase for phase in events[0].plan] == ["cache", "student", "benchmark"]
    assert not any(getattr(event, "phase", None) == "teacher" for event in events)
    assert result.summary["models"]["teacher"]["accuracy"] == \
        tiny_run.result.summary["models"]["teacher"]["accuracy"]


def test_bad_input_is_raised_before_anything_starts(tmp_path: Path) -> None:
    preset = tiny_preset("data.labeled=5000")
    events: list[Any] = []
    with pytest.raises(PresetError) as raised:
        run_experiment(preset, callbacks=[events.append],
                       recorder=RunStore(tmp_path / "runs", preset))
    assert [problem.path for problem in raised.value.problems] == ["data.labeled"]
    assert events == []
    assert not (tmp_path / "runs").exists()
    assert not any(isinstance(event, RunStarted) for event in events)


def test_the_summary_records_the_training_thread_count(tiny_run: RecordedRun) -> None:
    """Results depend on the thread count (reduction order): a run must say which it used."""
    assert tiny_run.preset.train.threads == 1
    assert tiny_run.result.summary["train_threads"] == 1
