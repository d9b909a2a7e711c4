"""Every bundled preset validates (teacher weights aside, until the asset exists)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from workbench.core.models import build_model
from workbench.core.paths import bundled_assets_dir, bundled_presets_dir
from workbench.core.presets import load_experiment, load_model_preset
from workbench.core.presets.library import find_preset

TEACHER_WEIGHTS = bundled_assets_dir() / "fashion-cnn-teacher.pt"
MODEL_FILES = sorted((bundled_presets_dir() / "models").glob("*.yaml"))
EXPERIMENT_FILES = sorted((bundled_presets_dir() / "experiments").glob("*.yaml"))


def _weights_of_model_file(path: Path) -> Path | None:
    weights = yaml.safe_load(path.read_text(encoding="utf-8")).get("weights")
    return None if weights is None else (path.parent / weights).resolve()


def _skip_if_needs_missing_teacher_weights(weights: Path | None) -> None:
    if weights == TEACHER_WEIGHTS.resolve() and not TEACHER_WEIGHTS.is_file():
        pytest.skip(f"{TEACHER_WEIGHTS.name} is not trained yet (workbench run fashion-teacher)")


def test_the_bundled_library_is_not_empty() -> None:
    assert len(MODEL_FILES) >= 5
    assert {"synthetic-quick", "fashion-kd"} <= {path.stem for path in EXPERIMENT_FILES}


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda path: path.stem)
def test_model_preset_validates_and_builds(path: Path) -> None:
    _skip_if_needs_missing_teacher_weights(_weights_of_model_file(path))
    model = load_model_preset(path.stem)
    assert model.name == path.stem
    module = build_model(model.architecture, model.args, (1, 28, 28), 10)
    assert sum(p.numel() for p in module.parameters()) > 0


@pytest.mark.parametrize("path", EXPERIMENT_FILES, ids=lambda path: path.stem)
def test_experiment_preset_validates(path: Path) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    teacher = raw.get("teacher")
    if isinstance(teacher, str):
        teacher_file = find_preset(teacher, "model", relative_to=path.parent)
        assert teacher_file is not None, f"teacher preset {teacher!r} not found"
        _skip_if_needs_missing_teacher_weights(_weights_of_model_file(teacher_file))
    preset = load_experiment(path.stem)
    assert preset.name == raw["name"] == path.stem
    assert preset.teacher.architecture and preset.student.architecture
