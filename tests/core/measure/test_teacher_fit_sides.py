"""Each side of the fit check alone: a file teacher whose input shape alone, or whose class
count alone, differs from the data's is refused; a probe follows a rewritten file; a
remembered probe does not hide that onnxruntime is gone."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from workbench.core.errors import PresetError
from workbench.core.measure.teacher_fit import teacher_fit_problem
from workbench.core.measure.teacher_probe import probe_teacher
from workbench.core.models import onnx_teacher
from workbench.core.models.saved import META_FILE

from tests.core.conftest import tiny_preset
from tests.core.teacher_files import small_model, write_onnx

DATA = (20,)  # feature vectors: tiny graphs, quick to export


@pytest.fixture(scope="module")
def graphs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("graphs")
    return {"fits": write_onnx(small_model(DATA, 3), DATA, folder / "fits.onnx"),
            "shape": write_onnx(small_model((16,), 3), (16,), folder / "shape.onnx"),
            "classes": write_onnx(small_model(DATA, 5), DATA, folder / "classes.onnx")}


def _problem(path: Path) -> str | None:
    return teacher_fit_problem(tiny_preset(f"teacher={path}").teacher, "features", DATA, 3)


def test_only_the_input_shape_differs(graphs: dict[str, Path]) -> None:
    assert _problem(graphs["fits"]) is None
    assert _problem(graphs["shape"]) == ("teacher shape.onnx takes 16-feature inputs and gives "
                                         "3 classes; dataset features has 20 features and "
                                         "3 classes")


def test_only_the_class_count_differs(graphs: dict[str, Path]) -> None:
    assert _problem(graphs["classes"]) == ("teacher classes.onnx takes 20-feature inputs and "
                                           "gives 5 classes; dataset features has 20 features "
                                           "and 3 classes")


def test_a_rewritten_file_is_probed_again(graphs: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "teacher.onnx"
    path.write_bytes(graphs["fits"].read_bytes())
    assert probe_teacher(path).classes == 3
    path.write_bytes(graphs["classes"].read_bytes())
    stat = path.stat()  # a later modification time, as a real rewrite has
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert probe_teacher(path).classes == 5


def test_a_remembered_probe_does_not_hide_a_missing_onnxruntime(
        graphs: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    assert probe_teacher(graphs["fits"]).classes == 3  # remembered from here on
    monkeypatch.setattr(onnx_teacher, "onnxruntime_missing", lambda: True)
    with pytest.raises(PresetError, match=r"distill-workbench\[onnxruntime\]"):
        probe_teacher(graphs["fits"])


class _ThreeDimensional(torch.nn.Module):
    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs[:, :6].reshape(-1, 2, 3)


def _script(model: torch.nn.Module, path: Path, meta: dict | None = None) -> Path:
    traced = torch.jit.trace(model.eval(), torch.zeros(2, *DATA))
    extra = {META_FILE: json.dumps(meta)} if meta is not None else {}
    torch.jit.save(traced, str(path), _extra_files=extra)
    return path


def test_a_torchscript_file_that_names_another_dataset_is_refused(tmp_path: Path) -> None:
    path = _script(small_model(DATA, 3), tmp_path / "elsewhere.pt",
                   {"dataset": "fashion-mnist", "input_shape": list(DATA), "classes": [0, 1, 2]})
    assert probe_teacher(path).trained_on == "fashion-mnist"
    problem = _problem(path)
    assert problem is not None and problem.startswith(
        "elsewhere.pt was trained on fashion-mnist, not features")


def test_outputs_that_are_not_logits_are_refused(tmp_path: Path) -> None:
    script = _script(_ThreeDimensional(), tmp_path / "cube.pt")
    probe = probe_teacher(script, DATA, 3)
    assert probe.classes is None and probe.error == "it outputs shape (1, 2, 3), not (batch, classes) logits"
    assert _problem(script).startswith("teacher cube.pt fails on 20-feature inputs (it outputs")
    recorded = tmp_path / "cube.npy"
    np.save(recorded, np.zeros((50, 2, 3), dtype=np.float32))
    assert probe_teacher(recorded).classes is None
    assert "in an unknown number of classes" in _problem(recorded)


def test_recorded_outputs_with_too_few_rows_alone_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "short.npy"
    np.save(path, np.zeros((50, 3), dtype=np.float32))
    teacher = tiny_preset(f"teacher={path}").teacher
    assert teacher_fit_problem(teacher, "features", DATA, 3, train_rows=50) is None
    assert teacher_fit_problem(teacher, "features", DATA, 3, train_rows=60) == (
        "teacher short.npy has recorded outputs for 50 training images in 3 classes; "
        "dataset features has 60 training images and 3 classes")
