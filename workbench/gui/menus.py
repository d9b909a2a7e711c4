"""Menu entries beyond File and Run's basics: Run ▸ Pause, View ▸ Dark mode (remembered),
File ▸ Export student.

Kept apart from the main window so its wiring stays short; each entry drives a
control that already exists (the Pause button, the palette).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtGui import QAction, QKeySequence, QPalette
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu

from workbench.core.errors import WorkbenchError
from workbench.core.measure.run_export import export_run_model
from workbench.gui import dialogs, settings, theme

if TYPE_CHECKING:
    from workbench.gui.main_window import MainWindow

DARK_KEY = "view/dark"


def _menu(window: MainWindow, title: str) -> QMenu:
    for action in window.menuBar().actions():
        if action.menu() is not None and action.text().replace("&", "") == title:
            return action.menu()
    return window.menuBar().addMenu(f"&{title}")


def add_menus(window: MainWindow) -> None:
    """Run ▸ Pause/Resume (Ctrl+P) and View ▸ Dark mode."""
    pause = QAction("&Pause / Resume", window)
    pause.setShortcut(QKeySequence("Ctrl+P"))
    pause.triggered.connect(lambda: window.progress.pause_button.isEnabled()
                            and window.progress.pause_button.toggle())
    _menu(window, "Run").addAction(pause)
    window.addAction(pause)
    dark = QAction("&Dark mode", window)
    dark.setCheckable(True)
    dark.setChecked(theme.is_dark())
    dark.toggled.connect(lambda on: set_dark(window, on))
    _menu(window, "View").addAction(dark)
    window.pause_action, window.dark_action = pause, dark
    add_export_action(window)


def wants_dark() -> bool:
    """The palette chosen last time in View ▸ Dark mode."""
    return str(settings.value(DARK_KEY, "false")).lower() == "true"


def apply_palette(app: QApplication, dark: bool) -> None:
    if dark:
        app.setStyle("Fusion")
        app.setPalette(theme.dark_palette())
    else:
        app.setPalette(app.style().standardPalette())
    theme.apply_plot_theme(app)


def set_dark(window: MainWindow, dark: bool) -> None:
    """Switch the palette now (plots included) and remember it."""
    app = QApplication.instance()
    if app is None:
        return
    apply_palette(app, dark)
    settings.set_value(DARK_KEY, dark)
    palette = app.palette()
    background = palette.color(QPalette.ColorRole.Base)
    foreground = palette.color(QPalette.ColorRole.Text)
    for plot in window.findChildren(pg.PlotWidget):
        plot.setBackground(background)
        for name in ("left", "bottom"):
            axis = plot.getPlotItem().getAxis(name)
            axis.setPen(foreground)
            axis.setTextPen(foreground)


EXPORT_FILTERS = {"TorchScript (*.pt)": "torchscript", "ONNX (*.onnx)": "onnx"}


def add_export_action(window: MainWindow) -> None:
    """File ▸ Export student of the selected run… (what ``workbench export`` does)."""
    action = QAction("Export &student of the selected run…", window)
    action.triggered.connect(lambda: export_student(window))
    _menu(window, "File").addAction(action)
    window.export_action = action


def export_student(window: MainWindow, target: Path | None = None,
                   fmt: str = "torchscript") -> Path | None:
    """Ask where (unless ``target`` is given), export, and say what was written."""
    runs = window.runs.selected() or window.runs.runs[:1]
    if not runs:
        dialogs.show_error(window, "Nothing to export", ["Finish a run first, then select it "
                                                         "in the Runs tab."])
        return None
    run = runs[0]
    if target is None:
        chosen, kind = QFileDialog.getSaveFileName(
            window, "Export the student", str(Path.home() / f"{run.run_id}-student.pt"),
            ";;".join(EXPORT_FILTERS))
        if not chosen:
            return None
        target, fmt = Path(chosen), EXPORT_FILTERS.get(kind, "torchscript")
    try:
        exported = export_run_model(run.path, "student", fmt, target)
    except WorkbenchError as error:
        dialogs.show_error(window, "Cannot export", [str(error)])
        return None
    check = {True: "; predictions identical to the checkpoint",
             False: "; predictions DIFFER from the checkpoint", None: ""}[exported.verified]
    window.status_label.setText(f"Exported the student of {run.run_id} to {exported.path}{check}")
    return exported.path
