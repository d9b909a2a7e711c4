"""Saving window settings as presets: validated first, shareable, never clobbering."""
from __future__ import annotations

import pytest
import yaml

from workbench.core.errors import PresetError
from workbench.core.measure.model_info import model_info
from workbench.core.presets.load import load_experiment
from workbench.core.presets.save import (save_user_experiment, settings_from_preset,
                                         validate_settings, write_experiment)


@pytest.fixture(autouse=True)
def config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "config"


def test_settings_keep_library_models_by_name():
    settings = settings_from_preset(load_experiment("synthetic-quick"))
    assert settings["teacher"] == "synthetic-cnn" and settings["student"] == "synthetic-mlp"
    assert validate_settings(settings).name == "synthetic-quick"


def test_save_user_experiment_round_trips(config_dir):
    settings = settings_from_preset(load_experiment("synthetic-quick"))
    settings["distill"]["temperature"] = 7.0
    path = save_user_experiment(settings, "mine")
    assert path == config_dir / "presets" / "experiments" / "mine.yaml"
    loaded = load_experiment("mine")
    assert loaded.name == "mine" and loaded.distill.temperature == 7.0
    with pytest.raises(PresetError, match="already exists"):
        save_user_experiment(settings, "mine")
    save_user_experiment(settings, "mine", overwrite=True)


def test_invalid_settings_are_not_written(tmp_path):
    settings = settings_from_preset(load_experiment("synthetic-quick"))
    settings["distill"]["alpha"] = 3.0
    with pytest.raises(PresetError) as error:
        write_experiment(settings, tmp_path / "x.yaml")
    assert [problem.path for problem in error.value.problems] == ["distill.alpha"]
    assert not (tmp_path / "x.yaml").exists()
    with pytest.raises(PresetError):
        save_user_experiment(settings_from_preset(load_experiment("synthetic-quick")), "../up")


def test_exported_file_is_plain_yaml(tmp_path):
    settings = settings_from_preset(load_experiment("synthetic-quick"))
    path = write_experiment(settings, tmp_path / "shared.yaml")
    assert yaml.safe_load(path.read_text())["teacher"] == "synthetic-cnn"


def test_model_info_describes_a_preset():
    preset = load_experiment("synthetic-quick")
    info = model_info(preset.student)
    assert info.params == 784 * 16 + 16 + 16 * 10 + 10
    assert info.describe() == "mlp · 12,730 params · untrained"
