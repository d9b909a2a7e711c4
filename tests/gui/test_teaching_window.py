"""Several teachers and a teaching assistant, loaded and run from the window."""
from __future__ import annotations

import json
from pathlib import Path

from workbench.core.runs.store import list_runs

from tests.gui.conftest import TINY_PRESET
from tests.gui.test_run import RUN_TIMEOUT_MS, _left

TEAM = ("teacher: [synthetic-mlp, {architecture: cnn, args: {channels: [4, 8], "
        "convs_per_block: 1, batch_norm: false, hidden: 16}}]")
DISTILL = ("distill: {method: assistant, alpha: 0.5, temperature: 4.0, fusion: confidence, "
           "assistants: [{architecture: mlp, args: {hidden: [24]}}]}")


def team_preset(folder: Path) -> Path:
    text = TINY_PRESET.replace("EPOCHS", "1")
    lines = [TEAM if line.startswith("teacher:") else DISTILL if line.startswith("distill:")
             else line for line in text.splitlines()]
    path = folder / "team.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_teacher_list_loads_runs_and_shows_every_model(window, qtbot, tmp_path, isolated):
    assert window.load_preset(str(team_preset(tmp_path)))
    panel = window.experiment
    assert panel.teacher.info.text().startswith("2 teachers, outputs fused: 1. ")
    teachers = panel.settings()["teacher"]
    assert teachers[0] == "synthetic-mlp" and teachers[1]["architecture"] == "cnn"
    assert panel.method_form.values()["fusion"] == "confidence"
    [assistant] = panel.settings()["distill"]["assistants"]
    assert assistant["architecture"] == "mlp" and assistant["args"]["hidden"] == [24]
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT_MS) as finished:
        qtbot.mouseClick(window.progress.run_button, _left())
    assert finished.args == ["completed", 0]
    [run] = list_runs(isolated / "runs")
    summary = json.loads((run.path / "summary.json").read_text())
    names = {"teacher", "teacher-1", "teacher-2", "assistant-1", "student", "baseline"}
    assert names <= set(summary["models"])
    shown = {window.compare.table.item(row, 1).text()
             for row in range(window.compare.table.rowCount())}
    assert names <= shown
    assert window.curves.point_count("assistant-1:val_acc") == 1
    assert window.curves.point_count("teacher-1:val_acc") == 1
