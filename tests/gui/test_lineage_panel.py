"""The Lineage tab: results drawn as given, a real detection in a joined thread, and
problems shown in a dialog."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch

from workbench.core.lineage.detection import judge
from workbench.core.lineage.evaluation import Measured, build_evaluation, score_held_out
from workbench.core.lineage.metrics import METRIC_NAMES
from workbench.core.lineage.probe import Probe
from workbench.core.lineage.study import Study
from workbench.core.models import build_model
from workbench.core.models.weights import save_checkpoint
from workbench.gui import dialogs
from workbench.gui.panels.lineage import LineagePanel

torch.set_num_threads(1)


def metric_values(rng: random.Random, kl_high: float) -> dict[str, float]:
    return {name: rng.gauss(0.5, 0.01) for name in METRIC_NAMES} | {"kl_high": kl_high}


@pytest.fixture
def panel(qtbot, isolated: Path) -> LineagePanel:
    widget = LineagePanel(isolated / "runs")
    qtbot.addWidget(widget)
    yield widget
    widget.stop_and_join()


def test_a_detection_is_drawn_metric_by_metric(panel: LineagePanel) -> None:
    rng = random.Random(0)
    references = [metric_values(rng, rng.gauss(0.30, 0.01)) for _ in range(5)]
    distilled = [metric_values(rng, rng.gauss(0.10, 0.01)) for _ in range(5)]
    detection = judge(metric_values(rng, 0.11), references, distilled).to_dict()
    panel.show_result(json.loads(json.dumps(detection)))  # what a JSON file holds
    assert "learned from the teacher" in panel.verdict.text()
    assert panel.table.rowCount() == len(METRIC_NAMES)
    assert panel.views.currentIndex() == 0
    rows = {reading["label"]: reading for reading in detection["readings"]}
    assert panel.table.item(4, 0).text() in rows
    drawn = [value for point in panel.strips.suspect_points for value in point]
    expected = [value for row, reading in enumerate(detection["readings"])
                for value in (reading["z"], float(row))]
    assert drawn == pytest.approx(expected)
    kl_row = [r["name"] for r in detection["readings"]].index("kl_high")
    assert panel.strips.suspect_points[kl_row][0] < -10  # far below the references


def test_an_evaluation_shows_roc_curves_and_the_trade_off(panel: LineagePanel,
                                                          tmp_path: Path) -> None:
    rng = random.Random(1)
    probe = Probe("synthetic", torch.zeros(2, 1, 28, 28), torch.zeros(2, dtype=torch.long), 10)
    evaluations = []
    for defense, center in (("none", 0.10), ("distill.teacher_noise=3", 0.25)):
        distilled = [Measured(i, 0.85, metric_values(rng, rng.gauss(center, 0.02)))
                     for i in range(4)]
        independent = [Measured(i, 0.87, metric_values(rng, rng.gauss(0.30, 0.02)))
                       for i in range(4)]
        metrics, scored = score_held_out(distilled, independent)
        evaluations.append(build_evaluation("fashion-kd", defense, 4, probe, 0.93, metrics,
                                            scored))
    study = Study("fashion-kd", 4, (1000, 1001, 1002, 1003), (), tuple(evaluations)).to_dict()
    path = tmp_path / "evaluation.json"
    path.write_text(json.dumps(study), encoding="utf-8")
    assert panel.open_result(path)
    assert panel.views.currentIndex() == 1
    assert set(panel.roc.curves) == set(study["evaluations"][0]["roc"])
    combined = panel.roc.curves["combined"].getData()
    assert combined[0][-1] == 1.0 and combined[1][-1] == 1.0
    assert panel.tradeoff.points == [(row["student_accuracy"], row["auc"])
                                     for row in study["tradeoff"]]
    assert "combined ROC-AUC" in panel.verdict.text()


def test_a_bad_result_file_is_a_dialog(panel: LineagePanel, tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"hello": 1}', encoding="utf-8")
    assert not panel.open_result(path)
    assert "other.json" in dialogs.LAST[0].informativeText()


def save_model(folder: Path, name: str, architecture: str, args: dict, seed: int) -> Path:
    torch.manual_seed(seed)
    model = build_model(architecture, args, (1, 28, 28), 10)
    meta = {"architecture": architecture, "args": args, "input_shape": [1, 28, 28],
            "classes": [str(i) for i in range(10)], "dataset": "synthetic"}
    path = folder / f"{name}.pt"
    save_checkpoint(path, model, meta)
    return path


def test_detect_runs_in_a_joined_thread_and_shows_the_verdict(panel, qtbot,
                                                              tmp_path: Path) -> None:
    teacher = save_model(tmp_path, "teacher", "cnn", {"channels": [4], "hidden": 16}, 0)
    suspect = save_model(tmp_path, "suspect", "mlp", {"hidden": [8]}, 1)
    references = [save_model(tmp_path, f"ref{i}", "mlp", {"hidden": [8]}, 10 + i)
                  for i in range(4)]
    panel.suspect.setEditText(str(suspect))
    panel.teacher.setEditText(str(teacher))
    panel.references.setText(" ".join(str(path) for path in references))
    panel.probe.setValue(300)
    assert panel.start_detection()
    assert not panel.start_detection()  # one job at a time
    assert panel.buttons["Stop"].isEnabled() and not panel.buttons["Detect"].isEnabled()
    qtbot.waitUntil(lambda: panel.worker is None, timeout=60_000)
    assert panel.result["suspect"] == str(suspect)
    assert panel.table.rowCount() == len(panel.result["readings"]) >= 5
    assert "teacher" in panel.verdict.text() and panel.buttons["Detect"].isEnabled()
    assert panel.result["probe_size"] == 300


def test_a_bad_target_is_a_dialog_naming_it(panel, qtbot) -> None:
    panel.suspect.setEditText("no-such-model")
    panel.teacher.setEditText("no-such-teacher")
    assert panel.start_detection()
    qtbot.waitUntil(lambda: panel.worker is None, timeout=30_000)
    assert "no-such-teacher" in dialogs.LAST[0].informativeText()
    assert panel.buttons["Detect"].isEnabled() and not panel.buttons["Stop"].isEnabled()
