"""The run history: read from the store, diff configs of a selection, overlay, delete."""
from __future__ import annotations

import json
import time
from pathlib import Path

import yaml

from workbench.gui.panels.runs import RunsPanel


def fake_run(runs_dir: Path, run_id: str, temperature: float, started: float) -> Path:
    """A run folder as RunStore writes it (a few lines are enough to read it back)."""
    path = runs_dir / run_id
    path.mkdir(parents=True)
    preset = {"name": "tiny", "distill": {"method": "offline", "alpha": 0.5,
                                          "temperature": temperature},
              "train": {"epochs": 2, "seed": 0}}
    (path / "preset.yaml").write_text(yaml.safe_dump(preset))
    summary = {"run_id": run_id, "name": "tiny", "status": "completed", "started": started,
               "models": {"teacher": {"accuracy": 0.9, "latency_ms": 0.2, "params": 1000},
                          "student": {"accuracy": 0.8, "latency_ms": 0.02, "params": 100}}}
    (path / "summary.json").write_text(json.dumps(summary))
    events = [{"event": "epoch_ended", "phase": "student", "epoch": epoch,
               "metrics": {"val_acc": 0.5 + epoch / 10}} for epoch in (1, 2)]
    (path / "metrics.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n")
    return path


def test_history_diff_overlay_and_delete(qtbot, isolated):
    runs_dir = isolated / "runs"
    now = time.time()
    fake_run(runs_dir, "20260101-000000-tiny-aaaa", 4.0, now - 10)
    fake_run(runs_dir, "20260101-000001-tiny-bbbb", 8.0, now)
    panel = RunsPanel(runs_dir)
    qtbot.addWidget(panel)
    assert panel.table.rowCount() == 2
    assert panel.table.item(0, 2).text() == "completed"
    assert panel.table.item(0, 4).text() == "80.0%"
    panel.select_rows([0, 1])
    assert [run.run_id[-4:] for run in panel.selected()] == ["bbbb", "aaaa"]
    assert panel.diff.rowCount() == 1
    assert panel.diff.verticalHeaderItem(0).text() == "distill.temperature"
    assert [panel.diff.item(0, c).text() for c in (0, 1)] == ["8.0", "4.0"]
    curves = [item for item in panel.overlay.getPlotItem().listDataItems()]
    assert len(curves) == 2 and list(curves[0].yData) == [0.6, 0.7]
    panel.select_rows([1])
    with qtbot.waitSignal(panel.runs_changed):
        panel.delete_selected()  # confirm() answers yes in tests
    assert [run.run_id[-4:] for run in panel.runs] == ["bbbb"]
    assert not (runs_dir / "20260101-000000-tiny-aaaa").exists()


def test_history_survives_a_restart(qtbot, isolated):
    runs_dir = isolated / "runs"
    fake_run(runs_dir, "20260101-000000-tiny-aaaa", 4.0, time.time())
    first = RunsPanel(runs_dir)
    second = RunsPanel(runs_dir)  # a new window reads the same store
    qtbot.addWidget(first)
    qtbot.addWidget(second)
    assert first.table.rowCount() == second.table.rowCount() == 1


def test_compare_scatter_draws_every_completed_model_and_the_front(qtbot, isolated):
    from workbench.core.runs.store import list_runs
    from workbench.gui.panels.compare import ComparePanel

    runs_dir = isolated / "runs"
    fake_run(runs_dir, "20260101-000000-tiny-aaaa", 4.0, 1.0)
    panel = ComparePanel()
    qtbot.addWidget(panel)
    panel.show_history(list_runs(runs_dir))
    assert panel.point_count == 2
    teacher = panel.scatter.items["teacher"]
    assert list(teacher.xData) == [0.2] and list(teacher.yData) == [0.9]
    assert list(panel.front_curve.xData) == [0.02, 0.2]


def test_compare_scatter_shows_one_dataset_at_a_time_with_hover_labels(qtbot, isolated):
    from workbench.core.runs.store import list_runs
    from workbench.gui.panels.compare import ComparePanel

    runs_dir = isolated / "runs"
    for run_id, dataset in (("20260101-000000-tiny-aaaa", "synthetic"),
                            ("20260101-000001-tiny-bbbb", "fashion-mnist")):
        path = fake_run(runs_dir, run_id, 4.0, 1.0)
        summary = json.loads((path / "summary.json").read_text())
        summary["dataset"] = {"name": dataset}
        summary["models"]["student-int8"] = {"accuracy": 0.79, "latency_ms": 0.01,
                                             "params": 100}
        (path / "summary.json").write_text(json.dumps(summary))
    panel = ComparePanel()
    qtbot.addWidget(panel)
    panel.show_history(list_runs(runs_dir))
    picker = panel.scatter.picker
    assert [picker.itemText(i) for i in range(picker.count())] == ["fashion-mnist", "synthetic"]
    picker.setCurrentText("synthetic")
    assert panel.point_count == 3  # teacher, student and the int8 student of one run only
    assert {p.run_id[-4:] for p in panel.scatter.shown} == {"aaaa"}
    assert list(panel.scatter.items["student int8"].xData) == [0.01]
    spots = panel.scatter.items["student int8"].scatter.points()
    assert spots[0].data().describe().startswith("tiny · run 20260101-000000-tiny-aaaa\nstudent-int8")
    assert panel.scatter.items["student int8"].scatter.opts["hoverable"]


def test_diff_of_three_runs_names_each_run_and_skips_descriptions(qtbot, isolated):
    runs_dir = isolated / "runs"
    for index, run_id in enumerate(("20260101-000000-tiny-aaaa", "20260101-000001-tiny-bbbb",
                                    "20260101-000002-tiny-cccc")):
        path = fake_run(runs_dir, run_id, 4.0 + index, float(index))
        preset = yaml.safe_load((path / "preset.yaml").read_text())
        preset["description"] = "words " * (10 + index)  # differs, but is no setting
        preset["data"] = {"dataset": "x" * 300 if index == 2 else "synthetic"}
        (path / "preset.yaml").write_text(yaml.safe_dump(preset))
    (runs_dir / "20260101-000002-tiny-cccc" / "metrics.jsonl").write_text("")  # stopped early
    panel = RunsPanel(runs_dir)
    qtbot.addWidget(panel)
    panel.select_rows([0, 1, 2])
    headers = [panel.diff.horizontalHeaderItem(c).text() for c in range(3)]
    assert headers == ["tiny ·cccc", "tiny ·bbbb", "tiny ·aaaa"]
    keys = [panel.diff.verticalHeaderItem(r).text() for r in range(panel.diff.rowCount())]
    assert keys == ["data.dataset", "distill.temperature"]
    assert panel.diff.columnWidth(0) <= 180  # the 300-character value is cut, not the runs
    assert panel.diff.item(0, 0).toolTip() == "x" * 300
    assert panel.overlay_note.text() == "No student val accuracy recorded for: tiny ·cccc (completed)"
    colors = {c.name(): c.opts["pen"].color().name()
              for c in panel.overlay.getPlotItem().listDataItems()}
    panel.select_rows([1])  # bbbb alone keeps its colour
    [alone] = panel.overlay.getPlotItem().listDataItems()
    assert alone.opts["pen"].color().name() == colors["tiny ·bbbb"]
    ticks = panel.overlay.getPlotItem().getAxis("bottom")._tickLevels
    assert ticks == [[(1, "1"), (2, "2")]]  # whole epochs, no 1.5
