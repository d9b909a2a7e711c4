"""Exported models: TorchScript predicts exactly like the checkpoint; ONNX is optional."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from workbench.core.measure import export
from workbench.core.models.weights import save_checkpoint
from workbench.core.measure.export import ExportError, export_model, predictions_match
from workbench.core.models import build_model
from workbench.core.models.saved import (ModelFileError, is_torchscript, load_checkpoint,
                                         load_model_file, load_torchscript)

SHAPE = (1, 28, 28)
META = {"architecture": "cnn", "args": {"channels": [4], "convs_per_block": 1, "hidden": 8},
        "input_shape": list(SHAPE), "classes": [str(i) for i in range(10)]}


@pytest.fixture
def checkpoint(tmp_path: Path) -> Path:
    torch.manual_seed(1)
    model = build_model(META["architecture"], META["args"], SHAPE, 10)
    with torch.no_grad():  # non-trivial batch-norm statistics
        model[1].running_mean.uniform_(-1, 1)
    path = tmp_path / "ckpt" / "student.pt"
    save_checkpoint(path, model, META)
    return path


def test_checkpoint_is_rebuilt_from_its_meta(checkpoint: Path) -> None:
    loaded = load_checkpoint(checkpoint)
    assert loaded.kind == "checkpoint" and loaded.input_shape == SHAPE
    assert loaded.num_classes == 10 and loaded.file_bytes == checkpoint.stat().st_size
    assert not is_torchscript(checkpoint)


def test_torchscript_export_predicts_identically(checkpoint: Path, tmp_path: Path) -> None:
    loaded = load_checkpoint(checkpoint)
    path = export_model(loaded.model, "torchscript", tmp_path / "out" / "student.pt", SHAPE,
                        loaded.meta)
    assert is_torchscript(path) and [child.name for child in path.parent.iterdir()] == [path.name]
    exported = load_model_file(path)
    assert exported.kind == "torchscript" and exported.input_shape == SHAPE
    assert exported.num_classes == 10 and exported.file_bytes == path.stat().st_size
    batch = torch.randn(32, *SHAPE)
    with torch.inference_mode():
        assert torch.equal(exported.model(batch), loaded.model(batch))
    assert predictions_match(loaded.model, exported.model, SHAPE)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_users_torchscript_without_meta_has_no_input_shape(tmp_path: Path) -> None:
    path = tmp_path / "mine.pt"
    torch.jit.save(torch.jit.script(torch.nn.Linear(3, 2)), str(path))
    loaded = load_torchscript(path)
    assert loaded.input_shape is None and loaded.name == "mine"


def test_files_that_are_no_model_get_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelFileError, match="junk.pt"):
        load_model_file(junk)
    with pytest.raises(ModelFileError, match="file not found"):
        load_model_file(tmp_path / "missing.pt")
    bare = tmp_path / "bare.pt"
    torch.save({"weight": torch.zeros(2)}, bare)
    with pytest.raises(ModelFileError, match="bare state dict"):
        load_model_file(bare)


def test_onnx_without_its_packages_says_how_to_install(
        checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "missing_onnx_packages", lambda: ["onnx"])
    with pytest.raises(ExportError, match=r"distill-workbench\[onnx\]"):
        export_model(load_checkpoint(checkpoint).model, "onnx", tmp_path / "m.onnx", SHAPE)
    assert not list(tmp_path.glob("m.onnx*"))


@pytest.mark.skipif(bool(export.missing_onnx_packages()), reason="the [onnx] extra is missing")
def test_onnx_export_writes_a_file(checkpoint: Path, tmp_path: Path) -> None:
    path = export_model(load_checkpoint(checkpoint).model, "onnx", tmp_path / "m.onnx", SHAPE)
    assert path.stat().st_size > 0


@pytest.mark.skipif(bool(export.missing_onnx_packages()), reason="the [onnx] extra is missing")
def test_onnx_export_of_a_big_model_is_one_file_that_predicts_alike(tmp_path: Path) -> None:
    """Weights over the exporter's inline limit used to go to a side file named after the
    temp file, so the renamed .onnx pointed at a file that no longer existed."""
    ort = pytest.importorskip("onnxruntime")
    torch.manual_seed(0)
    model = build_model("mlp", {"hidden": [256]}, SHAPE, 10).eval()  # ~0.8 MB of weights
    folder = tmp_path / "out"
    folder.mkdir()
    path = export_model(model, "onnx", folder / "m.onnx", SHAPE)
    assert sorted(p.name for p in folder.iterdir()) == ["m.onnx"]
    batch = torch.randn(4, *SHAPE)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (logits,) = session.run(None, {"input": batch.numpy()})
    assert torch.allclose(torch.from_numpy(logits), model(batch).detach(), atol=1e-5)
