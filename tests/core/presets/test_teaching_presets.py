"""Experiment presets with several teachers, assistants, fusion and views."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workbench.core.errors import PresetError
from workbench.core.presets import load_experiment
from workbench.core.presets.experiment import validate_experiment


def problems_of(*overrides: str) -> dict[str, str]:
    with pytest.raises(PresetError) as raised:
        load_experiment("synthetic-quick", overrides=list(overrides))
    return {problem.path: problem.message for problem in raised.value.problems}


def test_a_teacher_list_resolves_every_member_in_order() -> None:
    preset = load_experiment("synthetic-quick", overrides=[
        "teacher=[synthetic-cnn, {architecture: mlp, args: {hidden: [20]}}]",
        "distill.fusion=confidence"])
    assert [model.name for model in preset.teachers] == ["synthetic-cnn", "inline"]
    assert preset.teacher is preset.teachers[0]
    assert preset.distill["fusion"] == "confidence" and preset.distill["views"] == 1


def test_a_saved_team_loads_back_the_same(tmp_path: Path) -> None:
    preset = load_experiment("synthetic-quick", overrides=["teacher=[synthetic-cnn, synthetic-mlp]",
                                                           "distill.method=assistant",
                                                           "distill.assistants=[synthetic-mlp]"])
    saved = preset.to_dict()
    assert isinstance(saved["teacher"], list) and len(saved["teacher"]) == 2
    again = validate_experiment(saved, "run folder", tmp_path)
    assert [m.architecture for m in again.teachers] == ["cnn", "mlp"]
    assert [m.args["hidden"] for m in again.assistants] == [[16]]


def test_each_bad_member_is_named_by_its_place() -> None:
    problems = problems_of("teacher=[synthetic-cnn, no-such-model]")
    assert "teacher[1]" in problems and "not found" in problems["teacher[1]"]
    assert "empty list" in problems_of("teacher=[]")["teacher"]


def test_fusion_and_views_are_declared_params() -> None:
    assert "mean, confidence" in problems_of("distill.fusion=max")["distill.fusion"]
    assert "distill.views" in problems_of("distill.views=0")
    assert "distill.views" in problems_of("distill.views=99")


def test_assistants_are_required_by_the_assistant_method_and_checked() -> None:
    assert "at least one" in problems_of("distill.method=assistant")["distill.assistants"]
    problems = problems_of("distill.method=assistant", "distill.assistants=[nope]")
    assert "not found" in problems["distill.assistants[0]"]


def test_combinations_that_cannot_work_are_refused(tmp_path: Path) -> None:
    assert "several teachers" in problems_of("teacher=[synthetic-cnn, synthetic-mlp]",
                                             "distill.method=online")["teacher"]
    outputs = tmp_path / "outputs.npy"
    np.save(outputs, np.zeros((10, 10), dtype=np.float32))
    message = problems_of(f"teacher={outputs}", "distill.views=2")["distill.views"]
    assert "recorded outputs" in message


def test_the_window_settings_keep_every_teacher_and_assistant_by_name() -> None:
    from workbench.core.presets.save import settings_from_preset, validate_settings

    preset = load_experiment("synthetic-quick", overrides=[
        "teacher=[synthetic-cnn, synthetic-mlp]", "distill.method=assistant",
        "distill.assistants=[synthetic-mlp]"])
    settings = settings_from_preset(preset)
    assert settings["teacher"] == ["synthetic-cnn", "synthetic-mlp"]
    assert settings["distill"]["assistants"] == ["synthetic-mlp"]
    again = validate_settings(settings)
    assert [model.name for model in again.teachers] == ["synthetic-cnn", "synthetic-mlp"]
