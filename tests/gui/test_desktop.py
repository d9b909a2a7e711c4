"""Desktop habits: shortcuts, drag and drop, plot export, the resource strip, Qt references."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent, QKeySequence

from workbench.gui import dialogs


def test_shortcuts_are_bound(window):
    shortcuts = {action.text().replace("&", ""): action.shortcut() for action in window.actions()}
    assert shortcuts["Run"] == QKeySequence("Ctrl+R")
    assert shortcuts["Stop"] == QKeySequence(Qt.Key.Key_Escape)
    assert shortcuts["Import preset…"] == QKeySequence(QKeySequence.StandardKey.Open)
    assert shortcuts["Save settings as preset…"] == QKeySequence(QKeySequence.StandardKey.Save)


def _drop(window, path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)


def test_dropping_a_yaml_imports_it(window, tiny_preset, tmp_path):
    window.load_startup_preset()
    _drop(window, tiny_preset)
    assert window.experiment.settings()["name"] == "tiny"
    assert "tiny" in window.preset_combo.currentText()
    bad = tmp_path / "broken.yaml"
    bad.write_text("schema: 1\nkind: experiment\nname: [unclosed\n")
    _drop(window, bad)
    assert "not valid YAML" in dialogs.LAST[0].informativeText()
    assert window.experiment.settings()["name"] == "tiny"


def test_plots_export_as_png_and_svg(window, tmp_path):
    from workbench.gui.plots.export import export_plot

    window.curves.series["student:loss"].append(1.0, 2.0)
    window.curves.redraw()
    png = export_plot(window.curves.loss_plot.getPlotItem(), tmp_path / "loss.png")
    svg = export_plot(window.curves.loss_plot.getPlotItem(), tmp_path / "loss.svg")
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in svg.read_text()


def test_resource_strip_reports_cpu_and_memory(window):
    window.resources.refresh()
    text = window.resources.text()
    assert text.startswith("CPU ") and "RAM " in text and "MiB" in text


def test_signals_do_not_wear_out_none_or_bools(qapp):
    """PySide6 6.12 on Python < 3.12 drops references on each emit (pinned out in pyproject)."""
    from PySide6.QtCore import QObject, QTimer, Signal

    class Emitter(QObject):
        fired = Signal(object)

    emitter, timer = Emitter(), QTimer()
    for _ in range(100_000):
        emitter.fired.emit(1)
        timer.setInterval(5)
