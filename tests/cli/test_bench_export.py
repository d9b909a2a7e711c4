"""`workbench bench|export|compare` on model presets, run folders and exported files."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from tests.cli.conftest import run_cli
from workbench.cli.main import main
from workbench.core.measure import export
from workbench.core.models.weights import save_checkpoint
from workbench.core.models import build_model

FAST = ["--repeats", "3", "--warmup", "1", "--batch", "8"]
RUN_ID = "20260101-000000-synthetic-quick-abcd"
MODELS = {"teacher": ("cnn", {"channels": [4], "convs_per_block": 1, "hidden": 16}),
          "student": ("mlp", {"hidden": [8]})}


@pytest.fixture
def run_folder(isolated_folders: Path) -> Path:
    """A completed run as the run store writes it: checkpoints with meta and a summary."""
    folder = isolated_folders / "runs" / RUN_ID
    figures = {}
    for role, (architecture, args) in MODELS.items():
        torch.manual_seed(0)
        model = build_model(architecture, args, (1, 28, 28), 10)
        meta = {"architecture": architecture, "args": args, "input_shape": [1, 28, 28],
                "classes": [str(i) for i in range(10)], "dataset": "synthetic"}
        save_checkpoint(folder / "ckpt" / f"{role}.pt", model, meta)
        figures[role] = {"accuracy": 0.5, "params": sum(p.numel() for p in model.parameters()),
                         "latency_ms": 0.1, "flops": 1000, "threads": 1}
    summary = {"run_id": RUN_ID, "name": "synthetic-quick", "status": "completed",
               "started": 1.0, "models": figures,
               "machine": {"cpu": "Test CPU", "cores": 2, "torch": "2.x", "threads": 1}}
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return folder


def bench_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["bench", *args, *FAST, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_bench_a_model_preset_without_weights(capsys: pytest.CaptureFixture[str]) -> None:
    result = bench_json(capsys, "synthetic-mlp", "--int8")
    assert result["machine"]["threads"] == 1 and result["machine"]["cpu"]
    plain, int8 = result["models"]
    assert plain["model"] == "synthetic-mlp" and int8["model"] == "synthetic-mlp-int8"
    assert plain["params"] == 784 * 16 + 16 + 16 * 10 + 10 == int8["params"]
    assert "random weights" in plain["notes"][0]
    assert int8["size_bytes"] < plain["size_bytes"] and int8["quantized"] is True
    assert plain["flops"] == 2 * (784 * 16 + 16 * 10)


def test_bench_a_preset_with_another_input_shape(capsys: pytest.CaptureFixture[str]) -> None:
    result = bench_json(capsys, "synthetic-mlp", "--input-shape", "3,8,8", "--classes", "4")
    assert result["models"][0]["params"] == 3 * 8 * 8 * 16 + 16 + 16 * 4 + 4


def test_bench_a_run_rebuilds_each_checkpoint(run_folder: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    result = bench_json(capsys, RUN_ID[:12])
    rows = {row["model"]: row for row in result["models"]}
    assert list(rows) == ["teacher", "student"]
    for role in MODELS:
        assert rows[role]["file_bytes"] == (run_folder / "ckpt" / f"{role}.pt").stat().st_size
        assert rows[role]["kind"] == "checkpoint"
    assert rows["teacher"]["params"] > rows["student"]["params"]


def test_export_torchscript_then_bench_it_like_a_preset(
        run_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "exported" / "student.pt"
    assert main(["export", str(run_folder), "--format", "torchscript", "-o", str(target),
                 "--json"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["verified"] is True and exported["file_bytes"] == target.stat().st_size
    result = bench_json(capsys, str(target))
    row = result["models"][0]
    assert row["kind"] == "torchscript" and row["input_shape"] == [1, 28, 28]
    assert row["params"] == 784 * 8 + 8 + 8 * 10 + 10 and row["file_bytes"] == exported[
        "file_bytes"]


def test_compare_shows_new_figures_and_the_machine(
        run_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", RUN_ID]) == 0
    out = capsys.readouterr().out
    assert "FLOPs" in out and "p99 ms" in out
    assert "machine: Test CPU, 2 cores, torch 2.x, 1 thread" in out
    assert main(["compare", RUN_ID, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["machine"].startswith("Test CPU") and rows[0]["flops"] == 1000


@pytest.mark.parametrize("args, text", [
    (["bench", "no-such-model"], "is not a model preset"),
    (["bench", "missing/model.pt"], "no such file"),
    (["bench", "synthetic-quick"], "experiment preset"),
    (["export", "no-such-run", "--format", "torchscript", "-o", "x.pt"], "not found"),
])
def test_bad_targets_exit_2_with_one_message(args: list[str], text: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert text in err and "Traceback" not in err


def test_export_of_a_missing_model_lists_the_run_models(
        run_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", RUN_ID, "--format", "torchscript", "--model", "baseline",
                 "-o", str(tmp_path / "b.pt")]) == 2
    assert "models of this run: teacher, student" in capsys.readouterr().err


def test_onnx_without_the_extra_exits_2_and_says_how_to_fix(
        run_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(export, "missing_onnx_packages", lambda: ["onnx", "onnxscript"])
    assert main(["export", RUN_ID, "--format", "onnx", "-o", str(tmp_path / "s.onnx")]) == 2
    err = capsys.readouterr().err
    assert "pip install 'distill-workbench[onnx]'" in err and "Traceback" not in err
    assert not (tmp_path / "s.onnx").exists()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_wrong_input_shape_for_a_users_file_is_bad_input(tmp_path: Path) -> None:
    """As a user runs it: a subprocess, a TorchScript file of their own, no meta."""
    path = tmp_path / "mine.pt"
    torch.jit.save(torch.jit.script(torch.nn.Linear(3, 2)), str(path))
    result = run_cli("bench", str(path), *FAST)
    assert result.returncode == 2 and "--input-shape" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_cli("bench", str(path), "--input-shape", "3", *FAST)
    assert result.returncode == 0, result.stderr
    assert "mine" in result.stdout and "machine:" in result.stdout
