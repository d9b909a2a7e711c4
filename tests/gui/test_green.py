"""Issue 13 in the window: the Green group, the energy column, the Green tab and its chart."""
from __future__ import annotations

import json

from workbench.core.runs.store import list_runs

RUN_TIMEOUT_MS = 120_000

SUMMARY = {
    "name": "hand-made", "run_id": "r1", "status": "completed",
    "energy": {"teacher_j": 0.0, "cache_j": 10.0, "student_j": 40.0, "baseline_j": 60.0,
               "benchmark_j": 3.0, "total_j": 113.0, "method": "estimate", "co2_g": 0.01,
               "grid_intensity_g_per_kwh": 480.0},
    "timings": {"cache_s": 1.0, "student_s": 8.0, "baseline_s": 12.0},
    "models": {"teacher": {"accuracy": 0.9, "energy_per_1k_j": 2.0, "throughput": 100.0},
               "student": {"accuracy": 0.84, "energy_per_1k_j": 0.1, "throughput": 9000.0},
               "baseline": {"accuracy": 0.79, "energy_per_1k_j": 0.12, "throughput": 9000.0}},
}
EPOCHS = {"student": [{"epoch": e, "val_acc": v} for e, v in enumerate((0.7, 0.8, 0.84, 0.85), 1)],
          "baseline": [{"epoch": e, "val_acc": v} for e, v in enumerate((0.6, 0.7, 0.78, 0.8), 1)]}


def test_the_green_group_shows_and_edits_every_green_setting(qtbot) -> None:
    from workbench.gui.panels.experiment import ExperimentPanel
    from workbench.gui.panels.param_form import control_value

    panel = ExperimentPanel()
    qtbot.addWidget(panel)
    controls = panel.green_form.controls
    assert set(controls) >= {"qat", "prune", "prune_steps", "grid_intensity"}
    labels = {name: panel.green_form.layout_.labelForField(control).text()
              for name, control in controls.items()}
    assert labels["qat"].startswith("QAT") and labels["prune"] == "Prune fraction"
    assert labels["prune_steps"] == "Prune rounds" and "CO₂" in labels["grid_intensity"]
    panel.load({"name": "x", "teacher": "fashion-cnn", "student": "fashion-mlp-32",
                "data": {"dataset": "synthetic"},
                "green": {"qat": True, "prune": 0.5, "prune_steps": 3, "grid_intensity": 56.0}})
    assert control_value(controls["qat"]) is True
    assert control_value(controls["prune"]) == 0.5
    assert control_value(controls["prune_steps"]) == 3
    assert control_value(controls["grid_intensity"]) == 56.0
    with qtbot.waitSignal(panel.changed, timeout=1000):
        controls["grid_intensity"].setValue(100.0)
    assert panel.settings()["green"]["grid_intensity"] == 100.0 and panel.is_edited()
    panel.load({"name": "y", "teacher": "fashion-cnn", "student": "fashion-mlp-32",
                "data": {"dataset": "synthetic"}})  # no green section: the declared defaults
    assert panel.settings()["green"] == {"qat": False, "prune": 0.0, "prune_steps": 1,
                                         "grid_intensity": 480.0}


def test_the_green_tab_draws_the_bill_and_answers_distil_vs_scratch(qtbot) -> None:
    from workbench.gui.panels.green import GreenPanel

    panel = GreenPanel()
    qtbot.addWidget(panel)
    panel.show_summary(SUMMARY, EPOCHS)
    assert panel.chart.bars["training"] == [("cache", 10.0), ("student", 40.0),
                                            ("baseline", 60.0), ("benchmark", 3.0)]
    assert panel.chart.bars["inference"] == [("teacher", 2.0), ("student", 0.1),
                                             ("baseline", 0.12)]
    text = "\n".join(panel.lines)
    assert "epoch 2/4" in text and "2.00x" in text  # distil 30 J vs labels 60 J
    assert "estimate" in panel.title.text()
    panel.show_summary(SUMMARY, {"student": EPOCHS["student"]})  # no baseline: said, not raised
    assert "train.baseline" in panel.lines[0]


def test_compare_has_an_energy_column(qtbot) -> None:
    from workbench.gui.panels.compare import ComparePanel

    panel = ComparePanel()
    qtbot.addWidget(panel)
    panel.show_summary(SUMMARY)
    headers = [panel.table.horizontalHeaderItem(c).text() for c in range(panel.table.columnCount())]
    column = headers.index("J/1k pred")
    assert [panel.table.item(row, column).text() for row in range(3)] == ["2", "0.1", "0.12"]


def test_a_run_in_the_window_fills_the_green_tab(window, qtbot, tiny_preset, isolated) -> None:
    window.load_preset(str(tiny_preset))
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT_MS):
        window.start_run()
    [run] = list_runs(isolated / "runs")
    bill = json.loads((run.path / "summary.json").read_text())["energy"]
    training = dict(window.green.chart.bars["training"])
    assert training["student"] == bill["student_j"] and training["baseline"] == bill["baseline_j"]
    assert [name for name, _ in window.green.chart.bars["inference"]][:2] == ["teacher", "student"]
    assert any("distil + teacher cache" in line for line in window.green.lines)
    window.green.show_runs([run])  # reopened from the Runs tab: the same answer from the files
    assert dict(window.green.chart.bars["training"]) == training
    assert any("distil + teacher cache" in line for line in window.green.lines)
