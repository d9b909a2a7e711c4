"""`workbench export -o` and `presets export -o` into a folder, a read-only place, a full disk."""
from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from workbench.cli.main import main
from workbench.core.models import build_model
from workbench.core.models.weights import save_checkpoint

RUN_ID = "20260101-000000-synthetic-quick-abcd"
EXPORT = ["--format", "torchscript"]


@pytest.fixture
def run_folder(isolated_folders: Path) -> Path:
    """A run folder holding one checkpoint, as the run store writes it."""
    folder = isolated_folders / "runs" / RUN_ID
    torch.manual_seed(0)
    model = build_model("mlp", {"hidden": [8]}, (1, 28, 28), 10)
    meta = {"architecture": "mlp", "args": {"hidden": [8]}, "input_shape": [1, 28, 28],
            "classes": [str(i) for i in range(10)], "dataset": "synthetic"}
    save_checkpoint(folder / "ckpt" / "student.pt", model, meta)
    (folder / "summary.json").write_text('{"status": "completed", "started": 1.0}\n')
    return folder


def _blocked(tmp_path: Path) -> Path:
    """A path below a regular file: a place nothing can be written, even as root."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    return blocker / "out"


def _quiet_refusal(capsys: pytest.CaptureFixture[str], args: list[str]) -> str:
    assert main(args) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.out == ""
    assert captured.err.count("error:") == 1  # one message
    return captured.err


def test_export_into_a_folder_names_the_file_after_the_run_and_model(
        run_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    assert main(["export", RUN_ID, *EXPORT, "-o", str(folder)]) == 0
    written = folder / f"{RUN_ID}-student.pt"
    assert sorted(folder.iterdir()) == [written]
    assert f"wrote {written}" in capsys.readouterr().out


def test_export_into_a_place_that_cannot_be_written_is_refused_naming_it(
        run_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = _blocked(tmp_path) / "model.pt"
    err = _quiet_refusal(capsys, ["export", RUN_ID, *EXPORT, "-o", str(target)])
    assert err.startswith(f"error: {target}: cannot write the export (Not a directory)")
    assert (tmp_path / "a-file").read_text() == "x"


@pytest.mark.skipif(os.geteuid() == 0, reason="permissions do not stop root")
def test_export_into_a_read_only_folder_is_refused(
        run_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        err = _quiet_refusal(capsys, ["export", RUN_ID, *EXPORT, "-o", str(folder / "m.pt")])
    finally:
        folder.chmod(0o755)
    assert "Permission denied" in err and list(folder.iterdir()) == []


def test_export_on_a_full_disk_leaves_nothing(run_folder: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "model.pt"
    limit = 4096  # the TorchScript file is larger: its write fails as on a full disk
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "export", RUN_ID, *EXPORT, "-o", str(target)],
        capture_output=True, text=True, timeout=120, env=dict(os.environ),
        preexec_fn=lambda: resource.setrlimit(
            resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1])))
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"error: {target}: cannot write the export")
    assert "Traceback" not in done.stderr
    assert list((tmp_path / "out").iterdir()) == []  # no file, no temporary file


def test_presets_export_into_a_folder_writes_name_wbpreset(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    assert main(["presets", "export", "synthetic-quick", "-o", str(folder)]) == 0
    assert sorted(path.name for path in folder.iterdir()) == ["synthetic-quick.wbpreset"]
    assert f"to {folder / 'synthetic-quick.wbpreset'}" in capsys.readouterr().out


def test_presets_export_into_a_place_that_cannot_be_written_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = _blocked(tmp_path) / "mine.wbpreset"
    err = _quiet_refusal(capsys, ["presets", "export", "synthetic-quick", "-o", str(target)])
    assert err == (f"error: {target}: 1 problem:\n  - cannot write the bundle (Not a "
                   "directory); choose another file or folder\n")


def test_presets_export_on_a_full_disk_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out" / "mine.wbpreset"
    target.parent.mkdir()
    limit = 512  # the bundle is larger
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "presets", "export", "synthetic-quick", "-o",
         str(target)], capture_output=True, text=True, timeout=120, env=dict(os.environ),
        preexec_fn=lambda: resource.setrlimit(
            resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1])))
    assert done.returncode == 2, done.stderr
    assert done.stderr == (f"error: {target}: 1 problem:\n  - cannot write the bundle (File too "
                           "large); choose another file or folder\n")
    assert list(target.parent.iterdir()) == []
