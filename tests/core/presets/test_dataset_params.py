"""data: is validated as the shared fields plus the chosen dataset's own declared Params."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from workbench.core.data import DATASETS
from workbench.core.errors import PresetError
from workbench.core.presets.experiment import validate_experiment
from workbench.core.presets.schema import SECTIONS

MODELS = {"teacher": {"architecture": "mlp", "args": {"hidden": [8]}},
          "student": {"architecture": "mlp", "args": {"hidden": [4]}}}


def experiment(data: dict[str, Any], base_dir: Path = Path("/presets")):  # noqa: ANN201
    raw = {"schema": 1, "kind": "experiment", "name": "mine", **MODELS, "data": data}
    return validate_experiment(raw, "mine.yaml", base_dir)


def problems(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(PresetError) as caught:
        experiment(data)
    return {problem.path: problem.message for problem in caught.value.problems}


def test_each_user_dataset_declares_its_own_params() -> None:
    declared = {name: [param.name for param in DATASETS.get(name).params]
                for name in ("image-folder", "arrays", "csv", "fashion-mnist")}
    assert declared == {"image-folder": ["image_size", "channels", "test_fraction"],
                        "arrays": ["layout", "test_fraction"],
                        "csv": ["label_column", "test_file", "delimiter", "test_fraction"],
                        "fashion-mnist": []}


def test_the_chosen_dataset_params_get_defaults_and_others_are_unknown() -> None:
    data = experiment({"dataset": "csv", "root": "t.csv", "label_column": "y"}).data
    assert data.label_column == "y" and data.test_fraction == 0.2 and data.delimiter == ","
    assert set(data) == {p.name for p in SECTIONS["data"]} | {
        "label_column", "test_file", "delimiter", "test_fraction"}
    found = problems({"dataset": "fashion-mnist", "label_column": "y"})
    assert found == {"data.label_column": found["data.label_column"]}
    assert found["data.label_column"].startswith("unknown key")
    assert "image_size" not in experiment({"dataset": "synthetic"}).data


def test_dataset_params_are_checked_against_their_declarations() -> None:
    found = problems({"dataset": "image-folder", "root": "x", "image_size": 100000,
                      "test_fraction": 1.5, "channels": 0})
    assert found == {"data.image_size": "must be an integer >= 4 and <= 4096 (or null), got "
                                        "100000",
                     "data.test_fraction": "must be a number > 0 and <= 0.9, got 1.5",
                     "data.channels": "must be an integer >= 1 and <= 3 (or null), got 0"}
    assert "did you mean 'image_size'" in problems({"dataset": "image-folder",
                                                    "imagesize": 3})["data.imagesize"]


def test_an_unknown_dataset_is_one_problem_not_one_per_key() -> None:
    found = problems({"dataset": "imagefolder", "root": "x", "image_size": 32})
    assert list(found) == ["data.dataset"]
    assert "did you mean 'image-folder'" in found["data.dataset"]


def test_a_relative_root_is_relative_to_the_preset_folder(tmp_path: Path) -> None:
    data = experiment({"dataset": "image-folder", "root": "photos"}, tmp_path).data
    assert data.root == str(tmp_path / "photos")
    absolute = experiment({"dataset": "arrays", "root": str(tmp_path / "a.npz")}).data
    assert absolute.root == str(tmp_path / "a.npz")
