"""``workbench run`` with a teacher that does not fit the dataset exits 2 before anything
runs, naming both shapes; ``presets suggest-student`` sizes students against a teacher."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.cli.main import main
from workbench.core.models import onnx_teacher
from workbench.core.models.build import parameter_bytes

from tests.cli.conftest import TINY, run_cli
from tests.core.teacher_files import small_model, write_onnx, write_torchscript

WIDE = (3, 32, 32)


@pytest.fixture(scope="module")
def wide_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 3x32x32, 100-class teacher as TorchScript, and as ONNX where the extras are installed."""
    folder = tmp_path_factory.mktemp("wide")
    model = small_model(WIDE, 100)
    files = {"torchscript": write_torchscript(model, WIDE, folder / "model.pt")}
    try:
        files["onnx"] = write_onnx(model, WIDE, folder / "model.onnx")
    except pytest.skip.Exception:
        pass  # the ONNX cases skip themselves
    return files


@pytest.mark.parametrize("teacher, teacher_side", [
    ("onnx", "teacher model.onnx takes 3x32x32 inputs and gives 100 classes"),
    ("torchscript", "teacher model.pt fails on 1x28x28 inputs"),
    ("fashion-cnn-teacher", "fashion-cnn-teacher was trained on fashion-mnist, not synthetic"),
])
def test_a_teacher_that_does_not_fit_exits_2_before_the_run(
        wide_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        teacher: str, teacher_side: str) -> None:
    if teacher == "onnx" and "onnx" not in wide_files:
        pytest.skip("the ONNX extras are not installed")
    reference = str(wide_files.get(teacher, teacher))
    code = main(["run", "synthetic-quick", "--set", f"teacher={reference}", *TINY])
    err = capsys.readouterr().err
    assert code == 2, err
    assert teacher_side in err and "Traceback" not in err
    if teacher != "fashion-cnn-teacher":
        assert "dataset synthetic has 1x28x28 images and 10 classes" in err
    assert not (tmp_path / "runs").exists()  # refused before a run folder was made


def test_without_onnxruntime_run_exits_2_with_the_install_hint(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(onnx_teacher, "onnxruntime_missing", lambda: True)
    model = tmp_path / "model.onnx"
    model.write_bytes(b"an ONNX file; the runtime is asked for before it is read")
    code = main(["run", "synthetic-quick", "--set", f"teacher={model}", *TINY])
    err = capsys.readouterr().err
    assert code == 2 and 'pip install "distill-workbench[onnxruntime]"' in err
    assert "Traceback" not in err and not (tmp_path / "runs").exists()


def test_suggested_students_sit_at_the_stated_ratios_with_real_counts() -> None:
    result = run_cli("presets", "suggest-student", "fashion-cnn-teacher", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    teacher = payload["teacher"]["params"]
    assert teacher == 870_826 and payload["input_shape"] == [1, 28, 28]
    found = {(item["architecture"], item["target"]) for item in payload["suggestions"]}
    assert found == {(arch, target) for arch in ("cnn", "mlp") for target in (10, 30, 100)}
    for item in payload["suggestions"]:
        real = parameter_bytes(item["architecture"], item["args"], (1, 28, 28), 10)[0]
        assert item["params"] == real
        assert item["target"] / 1.5 <= teacher / real <= item["target"] * 1.5
        assert item["model"]["architecture"] == item["architecture"]


def test_feature_vectors_get_mlps_and_the_table_names_the_input(
        wide_files: dict[str, Path]) -> None:
    result = run_cli("presets", "suggest-student", str(wide_files["torchscript"]),
                     "--input-shape", "20", "--classes", "3", "--params", "200000")
    assert result.returncode == 0, result.stderr
    assert "input 20 features, 3 classes" in result.stdout
    rows = [line.split()[0] for line in result.stdout.splitlines()[2:] if "-1/" in line]
    assert rows and all(name.startswith("mlp-") for name in rows)
