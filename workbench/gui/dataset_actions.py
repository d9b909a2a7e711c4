"""File ▸ Open dataset…: an image folder, an .npz/.npy or a .csv becomes the experiment's data.

Core validates the ``data:`` section and reads the dataset (in a pool thread, so a big
folder never freezes the window); the Data tab shows what it found, and the experiment
panel learns the input shape and classes its teacher and students must fit. The same
description runs whenever the experiment's dataset changes (a preset loaded, the
dataset combo), so a teacher that stops fitting is refused at once.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu

from workbench.core.config.section import Section
from workbench.core.data.inspect import DatasetInfo, data_section_for, describe_dataset
from workbench.core.errors import PresetError, WorkbenchError
from workbench.core.measure.machine import torch_threads
from workbench.core.presets.save import validate_settings
from workbench.core.presets.schema import DATA_FIELDS
from workbench.gui import dialogs, settings
from workbench.gui.panels.dataset_view import DatasetView, shape_words, short_path
from workbench.gui.teacher_actions import add_teacher_action

if TYPE_CHECKING:
    from workbench.gui.main_window import MainWindow

LAST_FOLDER = "datasets/last_folder"
SAMPLES_PER_CLASS = 24  # the Data tab shows as many as its width has room for
REFRESH_MS = 250  # quiet time after an edit before the data section is looked at again
FILE_FILTER = "Arrays or tables (*.npz *.npy *.csv *.tsv)"


class _Signals(QObject):
    done = Signal(int, object, object)  # request, data section, DatasetInfo | error text


class _DescribeJob(QRunnable):
    def __init__(self, request: int, data: Section, signals: _Signals) -> None:
        super().__init__()
        self.request, self.data, self.signals = request, data, signals

    def run(self) -> None:
        try:
            with torch_threads(1):  # the GUI side never starts a full OpenMP pool
                info = describe_dataset(dict(self.data), SAMPLES_PER_CLASS)
            self.signals.done.emit(self.request, self.data, info)
        except (WorkbenchError, KeyError) as error:
            self.signals.done.emit(self.request, self.data, str(error))
        except Exception as error:  # noqa: BLE001 - shown as one line, never a traceback
            self.signals.done.emit(self.request, self.data, f"{type(error).__name__}: {error}")


def install(window: MainWindow) -> DatasetActions:
    """File ▸ Open dataset ▸ …, File ▸ Open teacher… (first in the menu), the Data tab."""
    file_menu = next(action.menu() for action in window.menuBar().actions()
                     if action.menu() is not None and action.text().replace("&", "") == "File")
    first = file_menu.actions()[0] if file_menu.actions() else None
    submenu = QMenu("Open &dataset", file_menu)
    file_menu.insertMenu(first, submenu)
    window.teacher_action = add_teacher_action(window)
    file_menu.insertAction(first, window.teacher_action)
    file_menu.insertSeparator(first)
    actions = DatasetActions(window, submenu)
    window.tabs.addTab(actions.view, "Data")
    window.tabs.currentChanged.connect(lambda _index: actions.refresh())
    actions.refresh()
    return actions


class DatasetActions(QObject):
    """File ▸ Open dataset… and the Data tab it fills.

    Signals:
        described(object): a DatasetInfo shown (tests wait on it).
        failed(str): the dataset could not be read (the Data tab says why).
    """

    described = Signal(object)
    failed = Signal(str)

    def __init__(self, window: MainWindow, menu: QMenu) -> None:
        super().__init__(window)
        self.window = window
        self.view = DatasetView()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._signals = _Signals(self)
        self._signals.done.connect(self._on_done)
        self._request = 0
        self._shown_key = ""
        self._pending: tuple[int, dict[str, Any]] | None = None  # (request, opened section)
        for text, slot in (("&Folder of images…", self.ask_folder),
                           ("&Arrays or CSV file…", self.ask_file)):
            action = QAction(text, window)
            action.triggered.connect(slot)
            menu.addAction(action)
        self.menu = menu
        self._raw_data = ""  # the data section last looked at, as the panel holds it
        # Edits arrive per keystroke and slider step: look at the data section once they pause.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        window.experiment.changed.connect(self._timer.start)
        window.experiment.teacher_changed.connect(self._timer.start)  # also: a preset loaded

    # --- opening ------------------------------------------------------------------------
    def ask_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self.window, "Open a folder of images",
                                                  self._last_folder())
        if chosen:
            self.open(Path(chosen))

    def ask_file(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self.window, "Open arrays or a CSV file",
                                                self._last_folder(), FILE_FILTER)
        if chosen:
            self.open(Path(chosen))

    @staticmethod
    def _last_folder() -> str:
        return str(settings.value(LAST_FOLDER, str(Path.home())))

    def open(self, path: Path) -> bool:
        """Read ``path`` as the experiment's dataset; the panel changes once it has been
        read (a dialog names the path or field when it cannot be)."""
        settings.set_value(LAST_FOLDER, str(Path(path).parent))
        try:
            section = data_section_for(path)
            data = self._validated(section)
        except PresetError as error:
            dialogs.show_preset_error(self.window, error, "Cannot open the dataset")
            return False
        except WorkbenchError as error:
            dialogs.show_error(self.window, "Cannot open the dataset", [str(error)])
            return False
        self.window.status_label.setText(f"Reading {path}…")
        self._pending = (self._start(data), section)
        return True

    def _validated(self, section: dict[str, Any] | None = None) -> Section:
        """The experiment's data section (with ``section`` in place), checked by core."""
        values = self.window.experiment.settings()
        if section is not None:
            values["data"] = {**shared_data(values.get("data") or {}), **section}
        preset = validate_settings(values)
        return Section({**preset.data, "download": False})  # never download to describe

    # --- describing -------------------------------------------------------------------------
    def refresh(self) -> None:
        """Describe the experiment's dataset again when its data section changed.

        Files of the user's (``data.root`` set) are described at once: their shape decides
        which teachers fit. A bundled dataset waits until the Data tab is shown (reading
        it takes seconds); until then its shape is the bundled one."""
        raw = repr(self.window.experiment.settings().get("data"))
        if raw == self._raw_data and (self._shown_key or not self.view.isVisible()):
            return  # nothing changed in data: (skip core's validation of the whole preset)
        self._raw_data = raw
        try:
            data = self._validated()
        except WorkbenchError:
            return  # the run (and its dialog) says what is wrong with the settings
        if _key(data) == self._shown_key or self._pending is not None:
            return
        if data.root or self.view.isVisible():
            self._start(data)
        else:
            self._shown_key = ""
            self.view.clear()
            self.window.experiment.set_data_shape(None)
            self.window.experiment.data_info.hide()

    def _start(self, data: Section) -> int:
        self._request += 1
        self._shown_key = _key(data)
        self.view.title.setText(f"Reading {data.root or data.dataset}…")
        self.pool.start(_DescribeJob(self._request, data, self._signals))
        return self._request

    def _on_done(self, request: int, data: Section, result: object) -> None:
        if request != self._request:
            return  # a newer dataset superseded this one
        pending = self._pending[1] if self._pending and self._pending[0] == request else None
        self._pending = None
        if not isinstance(result, DatasetInfo):
            self.view.show_error(str(result))
            self.window.experiment.data_info.hide()
            if pending is not None:
                self._shown_key = ""  # the experiment keeps its dataset; describe it again
                dialogs.show_error(self.window, "Cannot open the dataset", [str(result)])
                self.window.status_label.setText("The dataset could not be read; see the dialog")
            self.failed.emit(str(result))
            return
        if pending is not None:
            self.window.experiment.set_data(pending)
            self.window.tabs.setCurrentWidget(self.view)
            self.window.status_label.setText(
                f"Dataset {result.name}: {len(result.classes)} classes, input "
                f"{shape_words(result.input_shape)} ({short_path(str(data.root))})")
        self._show(result)

    def _show(self, info: DatasetInfo) -> None:
        """The Data tab, the line under the dataset combo, and the shape models must fit."""
        self.view.show_info(info)
        experiment = self.window.experiment
        experiment.set_data_shape(info.input_shape, len(info.classes))
        train = sum(info.counts.get("train", ()))
        experiment.data_info.setText(f"{short_path(info.source)} · {shape_words(info.input_shape)}"
                                     f" · {len(info.classes)} classes · {train:,} training "
                                     "samples")
        experiment.data_info.setToolTip(info.source)
        experiment.data_info.show()
        self.described.emit(info)


def shared_data(values: dict[str, Any]) -> dict[str, Any]:
    """The ``data:`` keys every dataset shares (val_size, seed...): kept across datasets."""
    names = {param.name for param in DATA_FIELDS} - {"dataset", "root"}
    return {key: value for key, value in values.items() if key in names}


def _key(data: Section) -> str:
    return repr(sorted((key, str(value)) for key, value in data.items()))
