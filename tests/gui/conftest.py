"""GUI test fixtures: offscreen Qt, tmp run/cache/config folders, isolated QSettings."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

# A Qt-free install (no [gui] extra) runs the rest of the suite; these tests need Qt.
pytest.importorskip("PySide6", reason="the desktop app's tests need the [gui] extra")

TINY_PRESET = """\
schema: 1
kind: experiment
name: tiny
description: "a seconds-long run for tests"
teacher: {architecture: cnn, args: {channels: [4, 8], convs_per_block: 1, batch_norm: false, hidden: 16}}
student: synthetic-mlp
data: {dataset: synthetic, val_size: 200, seed: 0, train_limit: 800}
distill: {method: offline, alpha: 0.5, temperature: 4.0}
train: {epochs: EPOCHS, batch_size: 100, lr: 0.003, schedule: cosine, seed: 0, threads: 1}
teacher_train: {epochs: 1, batch_size: 100, lr: 0.003, schedule: onecycle}
compare: {latency_repeats: 3, warmup: 1, throughput_batch: 32, threads: 1}
"""


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own runs, cache, config and QSettings folders."""
    from PySide6.QtCore import QSettings

    for name in ("RUNS", "CACHE", "CONFIG"):
        folder = tmp_path / name.lower()
        folder.mkdir()
        monkeypatch.setenv(f"WORKBENCH_{name}_DIR", str(folder))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      str(tmp_path / "qsettings"))
    from workbench.gui import dialogs

    monkeypatch.setattr(dialogs, "confirm", lambda *args: True)
    dialogs.LAST.clear()
    return tmp_path


def write_tiny(folder: Path, epochs: int = 2, name: str = "tiny.yaml") -> Path:
    path = folder / name
    path.write_text(TINY_PRESET.replace("EPOCHS", str(epochs)), encoding="utf-8")
    return path


@pytest.fixture
def tiny_preset(tmp_path: Path) -> Path:
    return write_tiny(tmp_path)


@pytest.fixture
def long_preset(tmp_path: Path) -> Path:
    """Long enough that a test can stop it part-way."""
    return write_tiny(tmp_path, epochs=400, name="long.yaml")


@pytest.fixture
def window(qtbot, tmp_path: Path):
    """A main window on the tmp run store; any thread it started is joined at teardown."""
    from workbench.gui.main_window import MainWindow

    win = MainWindow(tmp_path / "runs")
    qtbot.addWidget(win)
    yield win
    if win.worker is not None:
        worker, win.worker = win.worker, None
        worker.stop_and_join()
    win.preview.pool.waitForDone()
    win.datasets.pool.waitForDone()  # issue 15: the Data tab's reading job


@pytest.fixture
def trained_teacher_preset(tmp_path: Path) -> Path:
    """An experiment whose teacher has a weights file (random, but weights all the same)."""
    import torch

    from workbench.core.models.weights import save_checkpoint
    from workbench.core.models import build_model

    args = {"channels": [4, 8], "convs_per_block": 1, "batch_norm": False, "hidden": 16}
    torch.manual_seed(0)
    model = build_model("cnn", args, (1, 28, 28), 10)
    weights = tmp_path / "teacher.pt"
    save_checkpoint(weights, model, {"dataset": "synthetic"})
    text = TINY_PRESET.replace("EPOCHS", "2").replace(
        "teacher: {architecture: cnn, args: {channels: [4, 8], convs_per_block: 1, "
        "batch_norm: false, hidden: 16}}",
        "teacher: {architecture: cnn, args: {channels: [4, 8], convs_per_block: 1, "
        f"batch_norm: false, hidden: 16}}, weights: {weights.name}, "
        "trained_on: {dataset: synthetic}}")
    path = tmp_path / "trained.yaml"
    path.write_text(text, encoding="utf-8")
    return path
