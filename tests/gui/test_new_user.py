"""Issue 18, as a new user meets it: refused teachers, the verdict, reopened runs."""
from __future__ import annotations

from workbench.gui import dialogs


def test_a_teacher_trained_on_another_dataset_is_refused_with_the_reason(window, tiny_preset):
    window.load_preset(str(tiny_preset))
    picker = window.experiment.teacher
    index = picker.combo.findData("fashion-cnn-teacher")
    assert index >= 0
    window.experiment.dataset.setCurrentText("synthetic")
    item = picker.combo.model().item(index)
    assert not item.isEnabled()  # greyed out in the list
    assert "trained on fashion-mnist, not synthetic" in picker.combo.itemData(index, 3)  # tooltip
    picker.combo.setCurrentIndex(index)  # chosen anyway (say, from a preset)
    problem = window.experiment.teacher_problem()
    assert problem.startswith("fashion-cnn-teacher was trained on fashion-mnist, not synthetic")
    assert picker.info.text() == "⚠ " + problem
    assert window.preview.note.text() == "No preview: " + problem
    assert not window.start_run()
    assert dialogs.LAST[0].informativeText() == "• " + problem
    window.experiment.dataset.setCurrentText("fashion-mnist")  # now it fits
    assert window.experiment.teacher_problem() is None
    assert picker.info.text().endswith("trained on fashion-mnist")


def test_runs_live_in_the_user_data_folder_unless_told_otherwise(isolated, monkeypatch):
    from workbench.gui import settings

    monkeypatch.delenv("WORKBENCH_RUNS_DIR")
    monkeypatch.setenv("WORKBENCH_USER_DATA_DIR", str(isolated / "data"))
    monkeypatch.chdir(isolated / "cache")  # wherever the app is launched from
    assert settings.runs_dir() == isolated / "data" / "runs"
    settings.remember_runs_dir(isolated / "mine")
    assert settings.runs_dir() == isolated / "mine"
    monkeypatch.setenv("WORKBENCH_RUNS_DIR", str(isolated / "env"))
    assert settings.runs_dir() == isolated / "env"


def test_the_runs_tab_names_its_absolute_folder(qtbot, isolated, monkeypatch):
    from workbench.gui.panels.runs import RunsPanel

    monkeypatch.chdir(isolated)
    panel = RunsPanel("runs")  # relative, as a command line might give it
    qtbot.addWidget(panel)
    assert panel.runs_dir == isolated.resolve() / "runs"
    assert panel.folder_label.text().startswith(f"Runs folder: {isolated.resolve() / 'runs'}")
    assert "no runs yet" in panel.folder_label.text()


def test_past_runs_reopen_in_compare_several_at_once(window, qtbot, isolated):
    from tests.gui.test_runs_panel import fake_run

    runs_dir = window.runs_dir
    fake_run(runs_dir, "20260101-000000-tiny-aaaa", 4.0, 1.0)
    fake_run(runs_dir, "20260101-000001-tiny-bbbb", 8.0, 2.0)
    window.runs.refresh()
    with qtbot.waitSignal(window.runs.compare_requested) as requested:
        window.runs.table.cellDoubleClicked.emit(0, 1)
    assert [run.run_id for run in requested.args[0]] == ["20260101-000001-tiny-bbbb"]
    assert window.tabs.currentWidget() is window.compare
    assert window.compare.table.rowCount() == 2  # teacher, student of one run
    window.runs.select_rows([0, 1])
    window.runs.open_in_compare()
    table = window.compare.table
    assert table.rowCount() == 4 and not table.isColumnHidden(0)
    assert [table.item(r, 0).text() for r in range(4)] == ["bbbb", "bbbb", "aaaa", "aaaa"]
    assert [table.item(r, 1).text() for r in range(4)] == ["teacher", "student"] * 2


SUMMARY = {"run_id": "r-0001", "name": "kd", "status": "completed",
           "models": {role: {"accuracy": acc, "params": 1000, "size_bytes": 10240 * (i + 1),
                             "latency_ms": 0.2 * (i + 1), "latency_p25_ms": 0.18 * (i + 1),
                             "latency_p75_ms": 0.25 * (i + 1), "throughput": 1000.0}
                      for i, (role, acc) in enumerate((("teacher", 0.9), ("student", 0.8),
                                                       ("student-int8", 0.79),
                                                       ("baseline", 0.78)))}}


def test_compare_layout_fits_small_and_large_windows(qtbot):
    import pyqtgraph as pg

    from workbench.gui.panels.compare import ComparePanel

    panel = ComparePanel()
    qtbot.addWidget(panel)
    panel.show()
    for width, height in ((600, 520), (1200, 880)):  # the tab at 1024x640 and 1600x1000
        panel.resize(width, height)
        panel.show_summary(SUMMARY)
        qtbot.wait(10)
        table = panel.table
        rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
        assert table.viewport().height() >= rows  # all four rows visible, none cut
        header = table.horizontalHeader()
        for column in range(1, table.columnCount()):
            text = table.horizontalHeaderItem(column).text()
            assert header.sectionSize(column) >= header.fontMetrics().horizontalAdvance(text)
    size_item = panel.size_plot.getPlotItem()
    assert panel.size_plot.getPlotItem().getAxis("bottom").labelText == "KiB on disk"
    bars = [i for i in size_item.items if isinstance(i, pg.BarGraphItem)]
    assert [b.opts["width"][0] for b in bars] == [10.0, 20.0, 30.0, 40.0]  # KiB, as the table
    assert table.item(0, 4).text() == "10.0 KiB"
    ticks = size_item.getAxis("left")._tickLevels[0]
    assert [t[1] for t in ticks] == ["teacher", "student", "student-int8", "baseline"]
    assert table.item(1, 5).text() == "0.400 (0.360–0.500)"  # p50 with its IQR
    whiskers = [i for i in panel.latency_plot.getPlotItem().items
                if isinstance(i, pg.ErrorBarItem)]
    assert len(whiskers) == 4


def test_the_temperature_slider_gives_round_values_and_says_its_span(window, tiny_preset):
    window.load_preset(str(tiny_preset))
    control = window.experiment.method_form.controls["temperature"]
    for position in range(control.slider.maximum() + 1):
        control.slider.setValue(position)
        assert (control.value() * 2).is_integer()  # 0.5 steps: never 11.64
    assert control.value() == 20.0
    assert "slide from 1 to 20" in control.slider.toolTip()
    assert "to 100 in the box" in control.slider.toolTip()
    control.setValue(42.0)  # beyond the slider, typed
    assert control.value() == 42.0 and control.slider.value() == control.slider.maximum()


def test_empty_plots_say_press_run_and_accuracy_is_not_squashed(qtbot):
    from workbench.core.stream.events import EpochEnded, PhasePlan, PhaseStarted, RunStarted
    from workbench.gui.plots.live_curves import LiveCurves

    curves = LiveCurves()
    qtbot.addWidget(curves)
    curves.show()
    assert curves.hint.isVisible() and "Press ▶ Run" in curves.hint.textItem.toPlainText()
    curves.add_event(RunStarted("r", "x", (PhasePlan("student", 3, 5),), "cpu", 0, 0.0))
    assert not curves.hint.isVisible()
    curves.add_event(PhaseStarted("student", 3, 5))
    for epoch, accuracy in ((1, 0.81), (2, 0.85), (3, 0.87)):
        curves.add_event(EpochEnded("student", epoch, {"val_acc": accuracy}))
    curves.redraw(force=True)
    view = curves.accuracy_plot.getPlotItem().getViewBox()
    qtbot.waitUntil(lambda: view.viewRange()[1][0] > 0.5, timeout=2000)
    low, high = view.viewRange()[1]
    assert 0.7 < low < 0.81 and 0.87 < high < 0.95  # fits the curve, not 0-1
    curves.timer.stop()


def test_view_menu_switches_dark_mode_and_remembers_it(window):
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    from workbench.gui import menus, theme

    app = QApplication.instance()
    before = QPalette(app.palette())
    try:
        window.dark_action.setChecked(True)
        assert theme.is_dark() and menus.wants_dark()
        background = window.compare.size_plot.backgroundBrush().color()
        assert background.lightness() < 128  # the plots follow, not only the widgets
        window.dark_action.setChecked(False)
        assert not theme.is_dark() and not menus.wants_dark()
    finally:
        app.setPalette(before)
        theme.apply_plot_theme(app)


def test_pause_is_in_the_run_menu(window):
    run_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Run")
    assert window.pause_action in run_menu.actions()
    assert window.pause_action.shortcut().toString() == "Ctrl+P"
    window.pause_action.trigger()  # no run: nothing to pause
    assert not window.progress.pause_button.isChecked()


def test_the_progress_bar_says_estimating_then_the_phase_eta(qtbot):
    from workbench.core.stream.events import (PhasePlan, PhaseProgress, PhaseStarted,
                                              RunStarted)
    from workbench.gui.panels.progress import ProgressPanel

    panel = ProgressPanel()
    qtbot.addWidget(panel)
    now = [0.0]
    panel.start()
    panel.progress._clock = lambda: now[0]
    panel.update_from(RunStarted("r", "x", (PhasePlan("cache", 1, 10),
                                            PhasePlan("student", 1, 100)), "cpu", 0, 0.0))
    panel.update_from(PhaseStarted("cache", 1, 10))
    assert panel.label.text() == "caching teacher outputs · 0% · estimating…"
    for step in range(1, 5):
        now[0] += 3.0
        panel.update_from(PhaseProgress("cache", step))
    panel.refresh()
    assert panel.label.text() == "caching teacher outputs · 40% · 18 s left in this phase"
    assert panel.bar.value() == int(1000 * 4 / 110)  # the cache phase moves the bar


def test_edits_are_marked_and_a_saved_preset_shows_its_new_name(window, tiny_preset):
    window.load_preset(str(tiny_preset))
    assert "edited" not in window.experiment.description.text()
    window.experiment.epochs.setValue(5)
    assert window.experiment.is_edited()
    assert "(edited, not saved)" in window.experiment.description.text()
    path = window.presets.save_as("tiny-five")
    assert path is not None
    assert window.experiment.settings()["name"] == "tiny-five"
    assert window.preset_combo.currentData() == str(path)
    assert "edited" not in window.experiment.description.text()


def test_a_running_experiment_says_changes_wait_for_the_next_run(window, qtbot, long_preset):
    window.load_preset(str(long_preset))
    assert window.start_run()
    assert window.experiment.run_hint.isVisibleTo(window)
    with qtbot.waitSignal(window.run_finished, timeout=90_000):
        window.stop_run()
    assert not window.experiment.run_hint.isVisibleTo(window)


def test_the_student_exports_from_the_window(window, qtbot, tiny_preset, tmp_path):
    from workbench.core.models.saved import load_torchscript
    from workbench.gui import menus

    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    assert window.export_action in file_menu.actions()
    assert menus.export_student(window, tmp_path / "none.pt") is None  # no run yet: a dialog
    assert dialogs.LAST[0].windowTitle() == "Nothing to export"
    window.load_preset(str(tiny_preset))
    with qtbot.waitSignal(window.run_finished, timeout=90_000):
        window.start_run()
    path = menus.export_student(window, tmp_path / "student.pt")
    assert path == tmp_path / "student.pt" and load_torchscript(path).model is not None
    assert window.status_label.text().endswith("predictions identical to the checkpoint")


def test_freed_memory_is_handed_back_after_a_run():
    import sys

    from workbench.gui.release import release_freed_memory

    assert release_freed_memory() is sys.platform.startswith("linux")


def test_bar_labels_fit_even_when_filled_on_a_hidden_tab(window, qtbot):
    from PySide6.QtGui import QFontMetrics

    window.tabs.setCurrentIndex(0)  # Compare is hidden, as during a run
    window.compare.show_summary(SUMMARY)
    axis = window.compare.size_plot.getPlotItem().getAxis("left")
    needed = QFontMetrics(window.compare.size_plot.font()).horizontalAdvance("student-int8")
    window.show()
    window.tabs.setCurrentWidget(window.compare)
    qtbot.waitUntil(lambda: axis.width() >= needed, timeout=2000)
