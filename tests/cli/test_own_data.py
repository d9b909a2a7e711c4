"""End to end, headless: a folder of images, an .npz and a CSV, each through
teacher -> student -> compare -> export, with the numbers checked against NumPy."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from tests.cli.conftest import run_cli
from workbench.core.data.image_folder import scan_image_folder
from tests.core.user_files import NAMES, write_csv, write_image_folder, write_npz

RECIPE = {"epochs": 10, "batch_size": 8, "lr": 0.02, "schedule": "constant"}
QUICK_COMPARE = {"latency_repeats": 2, "warmup": 1, "throughput_batch": 4}


def write_preset(folder: Path, data: dict[str, Any], teacher: dict[str, Any]) -> Path:
    preset = {"schema": 1, "kind": "experiment", "name": f"own-{data['dataset']}",
              "teacher": teacher, "student": {"architecture": "mlp", "args": {"hidden": [8]}},
              "data": data, "distill": {"method": "offline", "alpha": 0.5, "temperature": 2.0},
              "train": RECIPE, "teacher_train": RECIPE, "compare": QUICK_COMPARE}
    path = folder / f"{data['dataset']}.yaml"
    path.write_text(yaml.safe_dump(preset), encoding="utf-8")
    return path


def run_and_export(preset: Path, runs: Path, export_dir: Path,
                   fmt: str = "torchscript") -> tuple[dict[str, Any], str]:
    """``workbench run --json``, then compare and export; returns the run's JSON and what
    the run wrote on stderr."""
    result = run_cli("run", str(preset), "--json", "--runs-dir", str(runs))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "completed"
    for name, figures in summary["models"].items():
        assert 0.0 <= figures["accuracy"] <= 1.0, name
    compared = run_cli("compare", summary["run_dir"], "--json")
    assert compared.returncode == 0, compared.stderr
    rows = {row["model"]: row for row in json.loads(compared.stdout)}
    assert rows["student"]["accuracy"] == pytest.approx(summary["models"]["student"]["accuracy"])
    exported = run_cli("export", summary["run_dir"], "--format", fmt, "-o", str(export_dir),
                       "--json")
    assert exported.returncode == 0, exported.stderr
    export = json.loads(exported.stdout)
    assert Path(export["path"]).is_file()
    if fmt == "torchscript":
        assert export["verified"] is True  # the file predicts what the checkpoint predicts
    else:  # not verified by export: run it, on the dataset's input shape, for the classes
        import onnxruntime

        session = onnxruntime.InferenceSession(export["path"])
        sample = np.zeros((2, *summary["dataset"]["input_shape"]), dtype=np.float32)
        logits = session.run(None, {"input": sample})[0]
        assert logits.shape == (2, len(summary["dataset"]["classes"]))
    assert export["input_shape"] == summary["dataset"]["input_shape"]
    assert export["classes"] == summary["dataset"]["classes"]  # what a deployment needs
    assert export["normalization"] == summary["dataset"]["normalization"]
    return summary, result.stderr


def _onnx_ready() -> bool:
    """The ONNX extras (export and onnxruntime) are in [dev], not in the Qt-free CI install."""
    from importlib.util import find_spec

    from workbench.core.measure.export import missing_onnx_packages

    return not missing_onnx_packages() and find_spec("onnxruntime") is not None


ONNX_OR_SCRIPT = "onnx" if _onnx_ready() else "torchscript"


def test_a_folder_of_images(tmp_path: Path) -> None:
    written = write_image_folder(tmp_path / "photos", per_class=16, mode="RGB", size=(8, 8))
    preset = write_preset(tmp_path, {"dataset": "image-folder", "root": "photos",
                                     "val_size": 6, "test_fraction": 0.25},
                          {"architecture": "cnn", "args": {"channels": [4], "hidden": 8}})
    (tmp_path / "photos" / "dark" / "broken.png").write_bytes(b"not a png")
    summary, stderr = run_and_export(preset, tmp_path / "runs", tmp_path, fmt=ONNX_OR_SCRIPT)
    skipped = f"1 file under {tmp_path / 'photos'} skipped: dark/broken.png (not an image"
    assert skipped in summary["dataset"]["notes"][0] and f"note: {skipped}" in stderr
    dataset = summary["dataset"]
    assert dataset["classes"] == ["bright", "dark", "middle"]
    assert dataset["input_shape"] == [3, 8, 8]
    assert (dataset["train"], dataset["val"], dataset["test"]) == (30, 6, 12)  # 4 per class
    index = scan_image_folder(tmp_path / "photos", seed=0, test_fraction=0.25)  # the run's
    train = np.stack([np.asarray(Image.open(path)) for path in index.splits["train"].paths])
    train = train / 255.0
    assert sum(len(pixels) for pixels in written.values()) == 48
    assert train.shape[0] == 36
    assert dataset["normalization"]["mean"] == pytest.approx(
        train.mean(axis=(0, 1, 2)).tolist(), rel=1e-5)
    assert dataset["normalization"]["std"] == pytest.approx(
        train.std(axis=(0, 1, 2)).tolist(), rel=1e-5)
    assert summary["models"]["teacher"]["accuracy"] > 0.6  # chance: 1/3
    assert summary["models"]["student"]["accuracy"] > 0.6


def test_an_npz_of_feature_vectors(tmp_path: Path) -> None:
    written = write_npz(tmp_path / "blobs.npz", train=90, test=30)
    preset = write_preset(tmp_path, {"dataset": "arrays", "root": "blobs.npz", "val_size": 9},
                          {"architecture": "mlp", "args": {"hidden": [16]}})
    summary, _ = run_and_export(preset, tmp_path / "runs", tmp_path)
    dataset = summary["dataset"]
    assert dataset["classes"] == ["low", "mid", "high"] and dataset["input_shape"] == [4]
    assert (dataset["train"], dataset["val"], dataset["test"]) == (81, 9, 30)
    assert dataset["normalization"]["mean"] == pytest.approx(
        written["x_train"].mean(axis=0).tolist(), rel=1e-5)
    assert dataset["normalization"]["std"] == pytest.approx(
        written["x_train"].std(axis=0).tolist(), rel=1e-5)
    assert summary["models"]["student"]["accuracy"] > 0.8  # separable along feature 0; chance 1/3
    assert summary["models"]["teacher"]["accuracy"] > 0.7


def test_a_csv_table_and_the_refusal_of_a_cnn_on_it(tmp_path: Path) -> None:
    values, labels = write_csv(tmp_path / "iris.csv", rows=90)
    shutil.copy(tmp_path / "iris.csv", tmp_path / "test.csv")  # the same rows: an easy test
    data = {"dataset": "csv", "root": "iris.csv", "label_column": "species",
            "test_file": "test.csv", "val_size": 9}
    summary, _ = run_and_export(write_preset(tmp_path, data, {"architecture": "mlp",
                                                           "args": {"hidden": [16]}}),
                             tmp_path / "runs", tmp_path)
    dataset = summary["dataset"]
    assert dataset["classes"] == list(NAMES) and dataset["input_shape"] == [3]
    assert (dataset["train"], dataset["val"], dataset["test"]) == (81, 9, 90)
    assert dataset["normalization"]["mean"] == pytest.approx(
        values.astype(np.float64).mean(axis=0).tolist(), rel=1e-5)
    assert summary["models"]["student"]["accuracy"] > 0.7
    refused = run_cli("run", str(write_preset(tmp_path, data, {
        "architecture": "cnn", "args": {"channels": [4]}})), "--runs-dir", str(tmp_path / "r2"))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "teacher.architecture: a 'cnn' takes images (channels x height x width), but " \
           "dataset 'csv'" in refused.stderr
    assert "feature vectors of shape (3,)" in refused.stderr
    assert not (tmp_path / "r2").exists() or not any((tmp_path / "r2").iterdir())
    assert torch.bincount(torch.from_numpy(labels)).tolist() == [30, 30, 30]


def test_data_inspect_lists_classes_counts_and_unreadable_files(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "photos", per_class=5)
    (tmp_path / "photos" / "dark" / "broken.png").write_bytes(b"nope")
    result = run_cli("data", "inspect", str(tmp_path / "photos"), "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["data"] == {"dataset": "image-folder", "root": str(tmp_path / "photos")}
    assert info["classes"] == ["bright", "dark", "middle"] and info["input_shape"] == [1, 10, 12]
    assert info["counts"] == {"train": [4, 4, 4], "test": [1, 1, 1]}
    assert info["unreadable_count"] == 1 and info["unreadable"][0][0].endswith("broken.png")
    write_csv(tmp_path / "t.csv", rows=9)
    text = run_cli("data", "inspect", str(tmp_path / "t.csv"))
    assert text.returncode == 2 and "data.label_column: no column 'label'" in text.stderr
    text = run_cli("data", "inspect", str(tmp_path / "t.csv"), "--set", "label_column=species")
    assert text.returncode == 0 and "feature columns: f0, f1, f2" in text.stdout
