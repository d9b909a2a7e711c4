"""The main window: experiment on the left, live curves / compare / runs on the right.

It wires panels together and starts runs; everything it computes comes from
``workbench.core``. One ``EventBridge`` lives as long as the window: every run
feeds it and each panel subscribes to it once, so nothing here forwards events.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (QComboBox, QGroupBox, QHBoxLayout, QLabel, QMainWindow,
                               QScrollArea, QSplitter, QTabWidget, QVBoxLayout, QWidget)

from workbench.core.config.section import Section
from workbench.core.engine.teacher_cache import TeacherLogitsCache
from workbench.core.errors import PresetError, WorkbenchError
from workbench.core.presets.library import list_presets
from workbench.core.presets.load import load_experiment
from workbench.core.presets.save import settings_from_preset, validate_settings
from workbench.core.runs.history import find_trained_teacher
from workbench.core.runs.resume import open_resume
from workbench.core.runs.store import RunInfo
from workbench.core.stream.events import RunEnded, RunStarted
from workbench.core.stream.status import RunOutcome, RunStatus, exit_code
from workbench.gui import dataset_actions, dialogs, menus, settings
from workbench.gui.bridge import EventBridge
from workbench.gui.panels.compare import ComparePanel
from workbench.gui.panels.green import GreenPanel
from workbench.gui.panels.experiment import ExperimentPanel
from workbench.gui.panels.lineage import LineagePanel
from workbench.gui.panels.preview import PreviewPanel
from workbench.gui.panels.progress import ProgressPanel
from workbench.gui.panels.resources import ResourceStrip
from workbench.gui.panels.runs import RunsPanel
from workbench.gui.plots.live_curves import LiveCurves
from workbench.gui.preset_actions import PresetActions
from workbench.gui.release import release_freed_memory
from workbench.gui.sweep_actions import SweepActions
from workbench.gui.worker import RunWorker

DEFAULT_PRESET, FALLBACK_PRESET = "fashion-kd-wide", "synthetic-quick"
TABS = ("Train", "Compare", "Green", "Runs", "Lineage")


class MainWindow(QMainWindow):
    """Distill Workbench's window.

    Signals:
        run_finished(status, exit code): after the training thread has been joined;
            the status is a ``RunStatus`` value, the code core's ``exit_code`` of it.
    """

    run_finished = Signal(str, int)

    def __init__(self, runs_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Distill Workbench")
        self.setAcceptDrops(True)
        self.runs_dir = Path(runs_dir).resolve()
        self.worker: RunWorker | None = None
        self.logits_cache = TeacherLogitsCache()  # teacher outputs, kept for the session
        self.bridge = EventBridge(parent=self)
        self.outcome = RunOutcome()  # the current run's end, as the stream told it
        self._rejected = False  # the current run was refused before it started
        self._loaded_path: str | None = None
        self.preset_combo = QComboBox()
        self.experiment = ExperimentPanel()
        self.preview = PreviewPanel()
        self.progress = ProgressPanel()
        self.curves = LiveCurves()
        self.compare = ComparePanel()
        self.green = GreenPanel()  # issue 13: the energy bill, distil vs from labels
        self.runs = RunsPanel(self.runs_dir)
        self.lineage = LineagePanel(self.runs_dir)
        self.tabs = QTabWidget()
        self.resources = ResourceStrip()
        self.status_label = QLabel("Ready")
        self.presets = PresetActions(self.experiment.settings, self)
        self._build_layout()
        self._build_actions()
        menus.add_menus(self)  # issue 18: Run ▸ Pause, View ▸ Dark mode
        self._connect()
        self.refresh_preset_list()
        self.compare.show_history(self.runs.runs)
        self._restore()
        self.sweeps = SweepActions(  # issue 14: Run ▸ Sweep… and the Sweep tab
            self, self.tabs, self._run_menu, lambda: self._loaded_path or DEFAULT_PRESET,
            lambda: self.runs_dir, self.runs)
        self.sweep = self.sweeps.panel
        self.datasets = dataset_actions.install(self)  # issue 15: Open dataset/teacher, Data tab

    # --- construction ----------------------------------------------------------------------
    def _build_layout(self) -> None:
        chooser = QHBoxLayout()
        chooser.addWidget(QLabel("Preset"))
        chooser.addWidget(self.preset_combo, 1)
        preview_box = QGroupBox("Soft labels: what the teacher teaches")
        QVBoxLayout(preview_box).addWidget(self.preview)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addLayout(chooser)
        left_layout.addWidget(self.experiment)
        left_layout.addWidget(preview_box, 1)
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(380)  # the panel and its scroll bar; the window fits 1024 px
        for widget, name in zip((self.curves, self.compare, self.green, self.runs, self.lineage),
                                TABS):
            self.tabs.addTab(widget, name)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.progress)
        right_layout.addWidget(self.tabs, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([430, 1010])
        self.setCentralWidget(splitter)
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.resources)
        self.resize(1440, 900)

    def _build_actions(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        run_menu = self._run_menu = self.menuBar().addMenu("&Run")
        entries = (
            (file_menu, "&Import preset…", QKeySequence.StandardKey.Open, self.presets.import_dialog),
            (file_menu, "&Save settings as preset…", QKeySequence.StandardKey.Save,
             self.presets.save_dialog),
            (file_menu, "&Export preset…", None, self.presets.export_dialog),
            (file_menu, "Import share &bundle…", None, self.presets.import_bundle_dialog),
            (file_menu, "Export share b&undle…", None, self.presets.export_bundle_dialog),
            (file_menu, "&Copy preset as YAML", QKeySequence("Ctrl+Shift+C"),
             self.presets.copy_yaml),
            (file_menu, "&Paste preset", QKeySequence("Ctrl+Shift+V"), self.presets.paste_preset),
            (file_menu, "&Quit", QKeySequence.StandardKey.Quit, self.close),
            (run_menu, "&Run", QKeySequence("Ctrl+R"), self.start_run),
            (run_menu, "&Stop", QKeySequence(Qt.Key.Key_Escape), self.stop_run),
        )
        for menu, text, shortcut, slot in entries:
            action = QAction(text, self)
            if shortcut is not None:
                action.setShortcut(shortcut)
            action.triggered.connect(slot)
            menu.addAction(action)
            self.addAction(action)

    def _connect(self) -> None:
        for panel in (self.curves, self.progress, self.compare, self.green):
            panel.subscribe(self.bridge)
        self.bridge.run_started.connect(self._on_run_started)
        self.progress.note.connect(self.status_label.setText)
        self.bridge.run_ended.connect(self._on_run_ended)
        self.presets.preset_loaded.connect(self.apply_settings)
        self.presets.presets_changed.connect(self.refresh_preset_list)
        self.presets.message.connect(self.status_label.setText)
        self.preset_combo.activated.connect(self._on_preset_chosen)
        self.experiment.teacher_changed.connect(self._update_preview_teacher)
        self.experiment.temperature_changed.connect(self.preview.set_temperature)
        self.progress.run_requested.connect(self.start_run)
        self.progress.stop_requested.connect(self.stop_run)
        self.progress.pause_requested.connect(self.pause_run)
        self.progress.compare_requested.connect(lambda: self.tabs.setCurrentWidget(self.compare))
        self.runs.runs_changed.connect(lambda: self.compare.show_history(self.runs.runs))
        self.runs.compare_requested.connect(self.open_in_compare)
        self.runs.compare_requested.connect(self.green.show_runs)
        self.runs.folder_changed.connect(self._on_runs_folder_changed)
        self.runs.resume_requested.connect(self.resume_run)
        self.tabs.currentChanged.connect(lambda index: settings.set_value("window/tab", index))
        self.curves.timer.timeout.connect(self.progress.refresh)

    def _restore(self) -> None:
        geometry = settings.geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        self.tabs.setCurrentIndex(int(settings.value("window/tab", 0, int)))

    # --- presets ------------------------------------------------------------------------------
    def refresh_preset_list(self) -> None:
        current = self.preset_combo.currentData()
        self.preset_combo.clear()
        for entry in list_presets("experiment"):
            label = entry.name + ("  (yours)" if entry.origin == "user" else "")
            self.preset_combo.addItem(label, str(entry.path))
        self._select_in_combo(current)

    def _select_in_combo(self, path: str | None, name: str = "") -> None:
        """Show the loaded preset in the chooser, adding files from outside the library."""
        if not path:
            return
        index = self.preset_combo.findData(path)
        if index < 0 and name:
            self.preset_combo.addItem(f"{name}  ({Path(path).name})", path)
            index = self.preset_combo.count() - 1
        if index >= 0:
            self.preset_combo.setCurrentIndex(index)

    def _on_preset_chosen(self, index: int) -> None:
        self.load_preset(self.preset_combo.itemData(index))

    def load_preset(self, reference: str | Path, interactive: bool = True) -> bool:
        """Load a preset into the panel; an invalid one opens a dialog and changes nothing."""
        try:
            preset = load_experiment(reference)
        except PresetError as error:
            if interactive:
                dialogs.show_preset_error(self, error, "Cannot load")
            self._select_in_combo(self._loaded_path)
            return False
        self.apply_settings(settings_from_preset(preset), preset.source)
        return True

    def apply_settings(self, values: dict[str, Any], source: str) -> None:
        """Show settings loaded from ``source`` and remember it for the next start."""
        self._loaded_path = source
        settings.set_value("presets/last", str(source))
        self.experiment.load(values)
        self._select_in_combo(source, str(values.get("name", "")))
        self.status_label.setText(f"Loaded {values.get('name', '')} ({Path(source).name})")
        self.status_label.setToolTip(str(source))

    def load_startup_preset(self) -> None:
        """The last preset used, else fashion-kd-wide, else synthetic-quick (no dialogs)."""
        last = settings.value("presets/last", "")
        for reference in (last, DEFAULT_PRESET, FALLBACK_PRESET):
            if reference and self.load_preset(str(reference), interactive=False):
                return

    def _update_preview_teacher(self) -> None:
        """Preview the chosen teacher, or the same model as trained by an earlier run."""
        if self.experiment.teacher_problem():
            self.preview.refuse(self.experiment.teacher_problem())
            return
        try:
            preset = validate_settings(self.experiment.settings())
        except PresetError:
            self.preview.set_teacher(self.experiment.teacher.model, None)
            return
        teacher, origin = preset.teacher, ""
        if teacher.weights is None:
            found = find_trained_teacher(self.runs_dir, teacher.architecture, teacher.args,
                                         preset.data.dataset)
            if found is not None:
                teacher = replace(teacher, weights=found[0])
                origin = f"weights from run …{found[1][-4:]}"
        # Never download for a preview: a missing dataset shows a note, the run fetches it.
        data = Section({**preset.data, "download": False})
        self.preview.set_teacher(teacher, data, origin)

    # --- runs ---------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.worker is not None

    def start_run(self) -> bool:
        """Validate the panel's settings and train in a background thread."""
        if self.running:
            return False
        try:
            preset = validate_settings(self.experiment.settings())
        except PresetError as error:
            dialogs.show_preset_error(self, error, "Cannot run")
            self.status_label.setText("The settings are not valid; see the dialog")
            return False
        if self.experiment.teacher_problem():
            dialogs.show_error(self, "Cannot run", [self.experiment.teacher_problem()])
            return False
        self._launch(RunWorker(preset, self.runs_dir, self.bridge, cache=self.logits_cache),
                     f"Running {preset.name}…")
        return True

    def resume_run(self, info: RunInfo) -> bool:
        """Continue a stopped or crashed run in its own folder (the Runs tab's Resume)."""
        if self.running:
            return False
        try:
            start = open_resume(info)
        except PresetError as error:
            dialogs.show_preset_error(self, error, "Cannot resume")
            return False
        except WorkbenchError as error:
            dialogs.show_error(self, "Cannot resume", [str(error)])
            return False
        self._launch(RunWorker(start.preset, self.runs_dir, self.bridge, cache=self.logits_cache,
                               resume=start),
                     " ".join((f"Resuming {info.run_id}…", *start.notes)))
        return True

    def _launch(self, worker: RunWorker, line: str) -> None:
        self.outcome, self._rejected = RunOutcome(), False
        self.worker = worker
        worker.rejected.connect(self._on_rejected)
        worker.finished.connect(self._on_thread_finished)
        self.curves.reset()
        self.progress.start()
        self.experiment.set_running(True)
        self.status_label.setText(line)
        self.tabs.setCurrentIndex(0)
        worker.start()

    def stop_run(self) -> None:
        if self.worker is not None:
            self.worker.control.request_stop()
            self.status_label.setText("Stopping…")

    def pause_run(self, paused: bool) -> None:
        if self.worker is not None:
            (self.worker.control.pause if paused else self.worker.control.resume)()

    def _on_run_started(self, event: RunStarted) -> None:
        self.status_label.setText(f"Run {event.run_id} on {event.device}")

    def _on_run_ended(self, event: RunEnded) -> None:
        self.outcome(event)
        if event.status == RunStatus.FAILED:
            dialogs.show_error(self, "The run failed", [event.error or "unknown error"],
                               "The run failed and was saved as failed. "
                               "The app is ready for another run.")

    def _on_rejected(self, title: str, problems: list[str]) -> None:
        self._rejected = True
        dialogs.show_error(self, title, problems)

    def _on_thread_finished(self) -> None:
        """The thread's last signal: the stream's events before it have all arrived."""
        worker, self.worker = self.worker, None
        if worker is None:  # closing the window already joined it
            return
        worker.wait()  # run() has returned; this only joins the thread
        status = RunStatus.INVALID if self._rejected else self.outcome.status
        self.progress.set_running(False)
        self.experiment.set_running(False)
        self.status_label.setText(self._end_line(status))
        if status == RunStatus.INVALID:
            self.progress.label.setText("Could not start; see the dialog")
        self.runs.refresh()
        self.compare.show_history(self.runs.runs)
        if status == RunStatus.COMPLETED and self.preview.sample is None:
            self._update_preview_teacher()  # the run may have trained a teacher to preview
        worker.deleteLater()
        release_freed_memory()  # the run thread's freed pages (issue 18: memory per run)
        self.run_finished.emit(status.value, exit_code(status))

    def _end_line(self, status: RunStatus) -> str:
        if self.outcome.ended is None:
            return "The run could not start"
        message = {RunStatus.STOPPED: "stopped; saved as stopped",
                   RunStatus.FAILED: f"failed: {self.outcome.error}"}.get(status, status.value)
        return f"Run {self.outcome.summary.get('run_id', '')} {message}"

    def open_in_compare(self, runs: list[RunInfo]) -> None:
        """Past runs (several at once) in the Compare tab."""
        if self.compare.show_runs(runs):
            self.tabs.setCurrentWidget(self.compare)

    def _on_runs_folder_changed(self, folder: Path) -> None:
        self.runs_dir = Path(folder)
        settings.remember_runs_dir(folder)
        self.status_label.setText(f"Runs are kept in {folder}")

    # --- window -------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt naming
        if self.worker is not None:
            if not dialogs.confirm(self, "Stop the run?",
                                   "A run is in progress. Stop it and close? "
                                   "It will be saved as stopped."):
                event.ignore()
                return
            worker, self.worker = self.worker, None
            worker.stop_and_join()
        self.lineage.stop_and_join()
        self.sweep.stop()  # joins the sweep thread; unfinished cells resume later
        self.preview.pool.waitForDone()
        self.datasets.pool.waitForDone()
        settings.set_value("window/geometry", self.saveGeometry())
        settings.set_value("window/tab", self.tabs.currentIndex())
        event.accept()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if any(url.toLocalFile().endswith((".yaml", ".yml")) for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            if url.toLocalFile().endswith((".yaml", ".yml")):
                self.presets.import_file(Path(url.toLocalFile()))
                event.acceptProposedAction()
                return
