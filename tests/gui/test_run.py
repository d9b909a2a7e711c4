"""Runs from the window: Run completes and plots, Stop stops, closing joins the thread."""
from __future__ import annotations

import json

from workbench.core.runs.store import list_runs

RUN_TIMEOUT_MS = 90_000


def test_clicking_run_completes_and_plots(window, qtbot, tiny_preset, isolated):
    window.load_preset(str(tiny_preset))
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT_MS) as finished:
        qtbot.mouseClick(window.progress.run_button, _left())
    assert finished.args == ["completed", 0]
    assert window.worker is None
    [run] = list_runs(isolated / "runs")
    assert run.status == "completed"
    steps = [json.loads(line) for line in (run.path / "metrics.jsonl").read_text().splitlines()]
    student_steps = sum(1 for e in steps if e["event"] == "step_ended" and e["phase"] == "student")
    assert student_steps > 0
    assert window.curves.point_count("student:loss") == student_steps
    assert window.curves.point_count("student:soft") == student_steps
    assert window.curves.point_count("student:val_acc") == 2
    assert window.curves.point_count("baseline:val_acc") == 2
    assert window.curves.teacher_line.isVisible()
    models = ["teacher", "student", "student-int8", "baseline"]
    assert [window.compare.table.item(row, 1).text() for row in range(4)] == models
    assert window.compare.table.isColumnHidden(0)  # the run column, for several runs only
    assert window.compare.point_count == 4  # the int8 student is plotted too
    summary = json.loads((run.path / "summary.json").read_text())
    verdict = window.progress.verdict.text()
    assert window.progress.verdict.isVisibleTo(window)
    student, baseline = (summary["models"][m]["accuracy"] for m in ("student", "baseline"))
    assert verdict.startswith(f"Distilled student {100 * student:.2f}%")
    assert f"({100 * baseline:.2f}%)" in verdict and "see Compare" in verdict
    window.progress.verdict.linkActivated.emit("compare")
    assert window.tabs.currentWidget() is window.compare
    assert window.runs.table.rowCount() == 1
    assert window.progress.bar.value() == window.progress.bar.maximum()
    csv = window.compare.copy_csv()
    assert csv.splitlines()[0].startswith("run,model,accuracy,params")
    assert [line.split(",")[1] for line in csv.splitlines()[1:]] == models
    assert window.compare.copy_markdown().count("\n") == 1 + len(models)


def _left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def _wait_for_steps(qtbot, window, count: int = 3) -> None:
    qtbot.waitUntil(lambda: window.progress.progress.done_steps >= count,
                    timeout=RUN_TIMEOUT_MS)


def test_stop_stops_and_saves_as_stopped(window, qtbot, long_preset, isolated):
    window.load_preset(str(long_preset))
    assert window.start_run()
    _wait_for_steps(qtbot, window)
    assert window.progress.stop_button.isEnabled()
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT_MS) as finished:
        qtbot.mouseClick(window.progress.stop_button, _left())
    assert finished.args == ["stopped", 130]
    [run] = list_runs(isolated / "runs")
    assert run.status == "stopped"
    assert window.progress.run_button.isEnabled()


def test_pause_holds_the_loop_and_resume_goes_on(window, qtbot, long_preset):
    window.load_preset(str(long_preset))
    window.start_run()
    _wait_for_steps(qtbot, window)
    window.progress.pause_button.setChecked(True)
    qtbot.waitUntil(lambda: window.progress.label.text() == "Paused", timeout=RUN_TIMEOUT_MS)
    held = window.progress.progress.done_steps
    qtbot.wait(300)
    assert window.progress.progress.done_steps == held
    window.progress.pause_button.setChecked(False)
    _wait_for_steps(qtbot, window, held + 2)
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT_MS):
        window.stop_run()


def test_closing_during_a_run_joins_the_thread(window, qtbot, long_preset, isolated):
    window.load_preset(str(long_preset))
    window.start_run()
    worker = window.worker
    _wait_for_steps(qtbot, window)
    assert window.close()
    assert worker.isFinished()
    assert window.worker is None
    [run] = list_runs(isolated / "runs")
    assert run.status == "stopped"


def test_a_failing_run_shows_a_dialog_and_the_app_stays_usable(window, qtbot, tiny_preset,
                                                               monkeypatch, isolated):
    from workbench.core.engine import pipeline
    from workbench.gui import dialogs

    def broken_benchmark(ctx, models):
        raise RuntimeError("the benchmark broke")

    monkeypatch.setattr(pipeline, "benchmark", broken_benchmark)
    window.load_preset(str(tiny_preset))
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT_MS) as finished:
        window.start_run()
    assert finished.args == ["failed", 1]
    box = dialogs.LAST[0]
    assert "the benchmark broke" in box.informativeText()
    assert "Traceback" not in box.informativeText()
    assert "failed" in window.status_label.text()
    assert window.progress.run_button.isEnabled() and window.worker is None
    [run] = list_runs(isolated / "runs")
    assert run.status == "failed"


def test_missing_data_is_reported_before_anything_starts(window, qtbot, tmp_path, isolated,
                                                        monkeypatch):
    from workbench.gui import dialogs

    monkeypatch.setenv("WORKBENCH_DATA", str(tmp_path / "no-data-here"))
    preset = tmp_path / "mnist.yaml"
    from tests.gui.conftest import write_tiny

    text = write_tiny(tmp_path).read_text().replace(
        "data: {dataset: synthetic,",
        f"data: {{dataset: mnist, root: {tmp_path / 'empty'}, download: false,")
    preset.write_text(text)
    assert window.load_preset(str(preset))
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT_MS) as finished:
        window.start_run()
    assert finished.args == ["invalid", 2]  # the CLI's word and exit code for bad input
    assert "dataset 'mnist' not found" in dialogs.LAST[0].informativeText()
    assert list_runs(isolated / "runs") == []
    assert window.progress.run_button.isEnabled()


def test_closing_during_a_run_can_be_cancelled(window, qtbot, long_preset, monkeypatch):
    from workbench.gui import dialogs

    window.load_preset(str(long_preset))
    window.start_run()
    _wait_for_steps(qtbot, window)
    monkeypatch.setattr(dialogs, "confirm", lambda *args: False)
    assert window.close() is False
    assert window.running
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT_MS) as finished:
        window.stop_run()
    assert finished.args == ["stopped", 130]
