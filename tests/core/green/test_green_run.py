"""A whole run with green.qat and green.prune: plan, rounds, checkpoints and JSON rows."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from workbench.core.data.prepare import load_dataset, prepare
from workbench.core.engine.pipeline import run_experiment
from workbench.core.errors import PresetError
from workbench.core.models.int8 import is_int8
from workbench.core.models.saved import load_checkpoint
from workbench.core.runs.store import RunStore
from workbench.core.stream.events import EpochEnded, PhaseStarted, RunStarted, StepEnded

from tests.core.conftest import tiny_preset

GREEN = ("green.qat=true", "green.prune=0.5", "green.prune_steps=2", "train.epochs=4")


@pytest.fixture(scope="module")
def green_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, list[Any], Path]:
    base = tmp_path_factory.mktemp("green-run")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("CACHE_DIR", "CONFIG_DIR", "DATA", "RUNS_DIR"):
            patch.setenv(f"WORKBENCH_{name}", str(base / name.lower()))
        preset = tiny_preset(*GREEN)
        events: list[Any] = []
        store = RunStore(base / "runs", preset)
        result = run_experiment(preset, callbacks=[events.append], recorder=store)
    return result, events, store.path


def test_the_plan_and_the_events_show_every_green_fit(green_run) -> None:
    _, events, _ = green_run
    plan = [(entry.phase, entry.epochs) for entry in events[0].plan]
    assert isinstance(events[0], RunStarted)
    # epochs 4: QAT fine-tunes ceil(4 / 5) = 1 epoch, each of 2 rounds ceil(4 / 4) = 1 epoch
    assert plan[-4:] == [("student-qat", 1), ("student-pruned-1", 1), ("student-pruned", 1),
                         ("benchmark", 1)]
    started = [event.phase for event in events if isinstance(event, PhaseStarted)]
    assert started.index("student") < started.index("student-qat") \
        < started.index("student-pruned-1") < started.index("student-pruned")
    epochs = [event.phase for event in events if isinstance(event, EpochEnded)]
    assert epochs.count("student-pruned-1") == epochs.count("student-pruned") == 1


def test_green_fits_are_distilled_not_plain_training(green_run) -> None:
    _, events, _ = green_run
    for phase in ("student-qat", "student-pruned-1", "student-pruned"):
        soft = [event.soft for event in events if isinstance(event, StepEnded)
                and event.phase == phase]
        assert soft and all(value > 0.0 for value in soft), phase  # the KL term is trained


def test_the_qat_row_is_measured_on_the_real_int8_model(green_run) -> None:
    result, _, folder = green_run
    row = result.summary["models"]["student-qat"]
    loaded = load_checkpoint(folder / "ckpt" / "student-qat.pt").model
    assert is_int8(loaded)
    preset = tiny_preset(*GREEN)
    data = prepare(load_dataset(preset.data), preset.data, preset.train.seed, torch.device("cpu"))
    with torch.inference_mode():
        accuracy = (loaded(data.test_inputs).argmax(1) == data.test_labels).float().mean().item()
    assert row["accuracy"] == pytest.approx(accuracy)
    student = result.summary["models"]["student"]
    assert row["params"] == student["params"] and row["quantized"] is True
    assert row["size_bytes"] < student["size_bytes"] / 2.5  # tiny 16-unit MLP: fixed overhead


def test_the_pruned_row_has_half_the_units_and_its_checkpoint_reloads(green_run) -> None:
    result, _, folder = green_run
    models = result.summary["models"]
    row, student = models["student-pruned"], models["student"]
    assert row["pruned_args"]["hidden"] == [8]  # synthetic-mlp has hidden [16]
    assert row["params"] < 0.55 * student["params"] and row["flops"] < student["flops"]
    loaded = load_checkpoint(folder / "ckpt" / "student-pruned.pt")
    assert loaded.meta["args"]["hidden"] == [8]
    assert sum(p.numel() for p in loaded.model.parameters()) == row["params"]


def test_a_student_green_cannot_handle_is_refused_before_the_run(tmp_path: Path) -> None:
    preset = tiny_preset("green.qat=true", "student=resnet-small")
    with pytest.raises(PresetError, match="green.qat"):
        run_experiment(preset, recorder=RunStore(tmp_path / "runs", preset))
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_with_a_method_that_caches_nothing_the_teacher_outputs_are_cached_for_green() -> None:
    preset = tiny_preset("green.prune=0.5", "distill.method=online", "train.baseline=false")
    events: list[Any] = []
    result = run_experiment(preset, callbacks=[events.append])
    started = [event.phase for event in events if isinstance(event, PhaseStarted)]
    assert started.index("cache") < started.index("student-pruned")
    soft = [event.soft for event in events
            if isinstance(event, StepEnded) and event.phase == "student-pruned"]
    assert soft and all(value > 0.0 for value in soft)
    assert "student-pruned" in result.summary["models"]
