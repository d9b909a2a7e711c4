"""File ▸ Open teacher…: a TorchScript or ONNX file becomes the experiment's teacher.

Core probes the file (input shape, classes, parameters) and decides whether it fits
the current dataset; this module asks for the file, shows what core says, and lets
the experiment panel refuse the run while the two do not fit.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog

from workbench.core.errors import WorkbenchError
from workbench.core.measure.teacher_probe import probe_teacher
from workbench.core.presets.model import ONNX_SUFFIXES, TORCHSCRIPT_SUFFIXES
from workbench.gui import dialogs, settings

if TYPE_CHECKING:
    from workbench.gui.main_window import MainWindow

LAST_FOLDER = "teachers/last_folder"


def _patterns(suffixes: tuple[str, ...]) -> str:
    return " ".join(f"*{suffix}" for suffix in suffixes)


FILTERS = (f"Teacher models ({_patterns(ONNX_SUFFIXES + TORCHSCRIPT_SUFFIXES)})",
           f"ONNX ({_patterns(ONNX_SUFFIXES)})",
           f"TorchScript ({_patterns(TORCHSCRIPT_SUFFIXES)})")


def add_teacher_action(window: MainWindow) -> QAction:
    """File ▸ Open teacher… (TorchScript or ONNX); the caller puts it in the menu."""
    action = QAction("Open &teacher…", window)
    action.setToolTip("A TorchScript (.pt, .ts) or ONNX (.onnx) classifier as the teacher")
    action.triggered.connect(lambda: open_teacher(window))
    return action


def open_teacher(window: MainWindow, path: Path | None = None) -> bool:
    """Probe ``path`` (asked for when None) and make it the teacher; False when refused.

    A file that cannot be read opens one dialog naming it; a file that reads but does not
    fit the current dataset becomes the teacher all the same, with the reason shown under
    the teacher picker and in the status bar, and Run refuses until they fit."""
    if path is None:
        chosen, _ = QFileDialog.getOpenFileName(
            window, "Open a teacher model", str(settings.value(LAST_FOLDER, str(Path.home()))),
            ";;".join(FILTERS))
        if not chosen:
            return False
        path = Path(chosen)
        settings.set_value(LAST_FOLDER, str(path.parent))
    experiment = window.experiment
    shape, classes = experiment.data_shape()
    try:
        probe = probe_teacher(Path(path), shape, classes)
    except WorkbenchError as error:
        dialogs.show_error(window, "Cannot open the teacher", [str(error)])
        return False
    if probe.kind not in ("onnx", "torchscript"):
        dialogs.show_error(window, "Cannot open the teacher",
                           [f"{path}: not a TorchScript or ONNX model (found {probe.kind})"])
        return False
    experiment.teacher.set_reference({"name": Path(path).stem, "architecture": probe.kind,
                                      "weights": str(Path(path).resolve())},
                                     f"{Path(path).name} (opened)")
    problem = experiment.teacher_problem()
    line = f"Teacher {Path(path).name}: {probe.describe()}"
    window.status_label.setText(f"{line} — does not fit: {problem}" if problem else line)
    window.status_label.setToolTip(problem or str(path))
    return True
