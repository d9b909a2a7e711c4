"""Reading a teacher's input shape and classes from its file, and refusing one that does
not fit the dataset, with a message naming both sides."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workbench.core.errors import PresetError
from workbench.core.measure.teacher_fit import check_teachers_fit, teacher_fit_problem
from workbench.core.measure.teacher_probe import probe_teacher
from workbench.core.models import onnx_teacher
from workbench.core.models.build import parameter_bytes
from workbench.core.presets.load import load_model_preset

from tests.core.conftest import tiny_preset
from tests.core.teacher_files import SMALL_CNN, small_model, write_onnx, write_torchscript

WIDE = (3, 32, 32)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("teachers")
    wide = small_model(WIDE, 100)
    return {"onnx": write_onnx(wide, WIDE, folder / "wide.onnx"),
            "script": write_torchscript(wide, WIDE, folder / "wide.pt"),
            "fits": write_onnx(small_model((1, 28, 28), 10), (1, 28, 28), folder / "fits.onnx")}


def test_an_onnx_graph_declares_its_input_and_classes(files: dict[str, Path]) -> None:
    probe = probe_teacher(files["onnx"])
    assert (probe.kind, probe.input_shape, probe.classes) == ("onnx", WIDE, 100)
    assert probe.params == onnx_teacher.initializer_count(files["onnx"])
    torch_count = parameter_bytes("cnn", SMALL_CNN, WIDE, 100)[0]
    assert abs(probe.params - torch_count) <= 2 * SMALL_CNN["channels"][0]  # bn folded or not
    assert probe.describe() == "takes 3x32x32 inputs and gives 100 classes"


def test_torchscript_without_meta_is_probed_with_the_datasets_shape(
        files: dict[str, Path]) -> None:
    unknown = probe_teacher(files["script"])
    assert unknown.input_shape is None and unknown.classes is None and "dataset" in unknown.note
    probed = probe_teacher(files["script"], WIDE, 100)
    assert (probed.input_shape, probed.classes, probed.error) == (WIDE, 100, None)
    failed = probe_teacher(files["script"], (1, 28, 28), 10)
    assert failed.classes is None and "channels" in failed.error


def test_recorded_outputs_give_their_rows_and_classes(tmp_path: Path) -> None:
    path = tmp_path / "outputs.npy"
    np.save(path, np.zeros((50, 7), dtype=np.float32))
    probe = probe_teacher(path)
    assert (probe.kind, probe.rows, probe.classes, probe.input_shape) == ("outputs", 50, 7, None)
    teacher = tiny_preset(f"teacher={path}").teacher
    problem = teacher_fit_problem(teacher, "synthetic", (1, 28, 28), 10, train_rows=60)
    assert "50 training images in 7 classes" in problem
    assert problem.endswith("dataset synthetic has 60 training images and 10 classes")
    assert teacher_fit_problem(teacher, "synthetic", (1, 28, 28), 7, train_rows=50) is None


def test_a_preset_reads_its_checkpoints_meta() -> None:
    probe = probe_teacher("fashion-cnn-teacher")
    assert (probe.kind, probe.input_shape, probe.classes) == ("preset", (1, 28, 28), 10)
    assert probe.trained_on == "fashion-mnist" and probe.params == 870_826


@pytest.mark.parametrize("key, name, detail", [
    ("onnx", "wide.onnx", "takes 3x32x32 inputs and gives 100 classes"),
    ("script", "wide.pt", "fails on 1x28x28 inputs"),
])
def test_a_file_teacher_that_does_not_fit_is_refused_naming_both_shapes(
        files: dict[str, Path], key: str, name: str, detail: str) -> None:
    preset = tiny_preset(f"teacher={files[key]}")
    with pytest.raises(PresetError) as caught:
        check_teachers_fit(preset, "synthetic", (1, 28, 28), 10)
    [problem] = caught.value.problems
    assert problem.path == "teacher"
    assert problem.message.startswith(f"teacher {name} {detail}")
    assert problem.message.endswith("dataset synthetic has 1x28x28 images and 10 classes")


def test_every_teacher_of_a_team_is_checked(files: dict[str, Path]) -> None:
    preset = tiny_preset(f"teacher=[{files['fits']}, {files['onnx']}]")
    with pytest.raises(PresetError) as caught:
        check_teachers_fit(preset, "synthetic", (1, 28, 28), 10)
    assert [problem.path for problem in caught.value.problems] == ["teacher[1]"]
    check_teachers_fit(tiny_preset(f"teacher={files['fits']}"), "synthetic", (1, 28, 28), 10)


def test_a_preset_trained_on_another_dataset_is_refused_before_the_run() -> None:
    preset = tiny_preset("teacher=fashion-cnn-teacher")
    with pytest.raises(PresetError) as caught:
        check_teachers_fit(preset, "synthetic", (1, 28, 28), 10)
    [problem] = caught.value.problems
    assert "was trained on fashion-mnist, not synthetic" in problem.message
    check_teachers_fit(tiny_preset("teacher=fashion-cnn-teacher", "data.dataset=fashion-mnist"),
                       "fashion-mnist", (1, 28, 28), 10)


def test_a_trained_assistant_is_checked_too() -> None:
    preset = tiny_preset("distill.method=assistant", "distill.assistants=[fashion-cnn-teacher]")
    with pytest.raises(PresetError) as caught:
        check_teachers_fit(preset, "synthetic", (1, 28, 28), 10)
    assert [problem.path for problem in caught.value.problems] == ["distill.assistants[0]"]


def test_without_onnxruntime_the_message_says_how_to_install(
        files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(onnx_teacher, "onnxruntime_missing", lambda: True)
    with pytest.raises(PresetError, match=r'pip install "distill-workbench\[onnxruntime\]"'):
        onnx_teacher.OnnxTeacher(files["fits"])
    assert load_model_preset("fashion-cnn-teacher")  # other teachers are unaffected
