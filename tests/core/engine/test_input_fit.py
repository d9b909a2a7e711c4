"""Models and settings the dataset's inputs cannot feed are refused before the run."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from workbench.core.data.dataset import ImageDataset
from workbench.core.engine.input_fit import check_inputs_fit, input_problems
from workbench.core.engine.pipeline import run_experiment
from workbench.core.errors import PresetError
from workbench.core.presets.experiment import validate_experiment
from tests.core.user_files import write_csv

CNN = {"architecture": "cnn", "args": {"channels": [4], "hidden": 8}}
MLP = {"architecture": "mlp", "args": {"hidden": [8]}}


def preset(teacher: dict[str, Any], student: dict[str, Any], **sections: Any):  # noqa: ANN201
    raw = {"schema": 1, "kind": "experiment", "name": "fit", "teacher": teacher,
           "student": student, **sections}
    return validate_experiment(raw, "fit.yaml", Path.cwd())


def vectors(features: int = 4) -> ImageDataset:
    return ImageDataset("csv", ("a", "b"), torch.zeros(6, features), torch.arange(6) % 2,
                        torch.zeros(2, features), torch.arange(2), source="t.csv")


def images(side: int) -> ImageDataset:
    pixels = torch.zeros(6, 1, side, side, dtype=torch.uint8)
    return ImageDataset("image-folder", ("a", "b"), pixels, torch.arange(6) % 2, pixels[:2],
                        torch.arange(2), source="photos")


def test_a_cnn_on_feature_vectors_names_the_role_and_both_shapes() -> None:
    found = input_problems(preset(CNN, MLP), vectors())
    assert [(p.path, p.message) for p in found] == [(
        "teacher.architecture", "a 'cnn' takes images (channels x height x width), but dataset "
        "'csv' (t.csv) gives feature vectors of shape (4,); use an 'mlp' for feature vectors")]
    resnet = input_problems(preset(MLP, {"architecture": "resnet"}), vectors())
    assert [p.path for p in resnet] == ["student.architecture"]


def test_mlps_fit_vectors_and_cnns_fit_images_large_enough() -> None:
    assert input_problems(preset(MLP, MLP), vectors()) == []
    assert input_problems(preset(CNN, MLP), images(8)) == []
    deep = {"architecture": "cnn", "args": {"channels": [4, 4, 4, 4], "hidden": 8}}
    found = input_problems(preset(deep, MLP), images(8))  # four 2x2 pools: 8 -> 0 pixels
    assert [p.path for p in found] == ["teacher.architecture"]
    assert "gives images 1x8x8" in found[0].message
    assert "use larger images (data.image_size) or fewer pooling blocks" in found[0].message


def test_image_augmentation_on_feature_vectors_is_refused() -> None:
    settings = preset(MLP, MLP, teacher_train={"augment": "flip"}, distill={"views": 3})
    found = {p.path: p.message for p in input_problems(settings, vectors(3))}
    assert set(found) == {"teacher_train.augment", "distill.views"}
    assert "gives feature vectors of shape (3,); set teacher_train.augment: none" in \
        found["teacher_train.augment"]
    assert found["distill.views"].startswith("3 views are flipped and shifted images")
    assert input_problems(settings, images(8)) == []  # images: both are fine
    with pytest.raises(PresetError, match="fit.yaml: 2 problems"):
        check_inputs_fit(settings, vectors(3))


def test_run_experiment_refuses_before_anything_starts(tmp_path: Path) -> None:
    write_csv(tmp_path / "t.csv", rows=30)
    settings = preset(CNN, MLP, data={"dataset": "csv", "root": str(tmp_path / "t.csv"),
                                      "label_column": "species", "val_size": 4})
    events: list[Any] = []
    with pytest.raises(PresetError, match=r"teacher.architecture: a 'cnn' takes images"):
        run_experiment(settings, callbacks=[events.append])
    assert events == []  # no RunStarted: nothing ran
