"""The run history: every run in the store, overlaid curves and a config diff of a selection."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QHBoxLayout,
                               QHeaderView, QLabel, QPushButton, QSizePolicy, QSplitter,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from workbench.core.runs.history import DESCRIPTIVE_KEYS, config_diff, delete_run, read_curves, read_run_config
from workbench.core.runs.resume import resume_problem
from workbench.core.runs.store import RunInfo, list_runs
from workbench.core.sweep.repeats import Band, group_labels, group_repeats
from workbench.gui import dialogs, theme
from workbench.gui.plots.bands import add_band

COLUMNS = ("started", "preset", "status", "teacher", "student", "baseline", "run id")
METRICS = {"student val accuracy": ("student", "val_acc"),
           "student train loss": ("student", "train_loss"),
           "baseline val accuracy": ("baseline", "val_acc"),
           "teacher val accuracy": ("teacher", "val_acc")}
# Distinct hues for overlaid runs (readable on light and dark backgrounds).
MAX_DIFF_WIDTH = 180  # px; a diff column never grows wider (the full value is its tooltip)
RUN_COLORS = ("#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#F0E442", "#0072B2",
              "#999999")


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


class RunsPanel(QWidget):
    """The Runs tab.

    Signals:
        runs_changed: after a delete or a change of folder, so other tabs refresh.
        compare_requested(list): runs to reopen in Compare (double-click, or the button).
        folder_changed(Path): the user chose another runs folder (remembered).
        resume_requested(RunInfo): continue the selected stopped or crashed run.
    """

    runs_changed = Signal()
    compare_requested = Signal(list)
    folder_changed = Signal(Path)
    resume_requested = Signal(object)  # the RunInfo of a stopped or crashed run

    def __init__(self, runs_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs_dir = Path(runs_dir).resolve()  # absolute: "Open folder" needs a full path
        self.folder_label = QLabel()
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A long path must not widen the window: it is cut, and whole in the tooltip.
        self.folder_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.runs: list[RunInfo] = []
        self.bands: list[Band] = []  # the mean ± std bands drawn in the overlay
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self.show_selection)
        self.table.cellDoubleClicked.connect(lambda row, _column: self.open_in_compare([row]))
        self.overlay_metric = QComboBox()
        self.overlay_metric.addItems(list(METRICS))
        self.overlay_metric.currentTextChanged.connect(self.show_selection)
        self.overlay = pg.PlotWidget(title="Selected runs")
        self.overlay.getPlotItem().setLabel("bottom", "epoch")
        self.overlay.getPlotItem().showGrid(x=True, y=True, alpha=0.2)
        theme.plain_axes(self.overlay.getPlotItem())
        self.legend = self.overlay.getPlotItem().addLegend(offset=(-10, 10),
                                                           labelTextSize="8pt")
        self.overlay_note = QLabel()
        self.overlay_note.setWordWrap(True)
        self.overlay_note.setVisible(False)
        self.diff = QTableWidget(0, 1)
        self.diff.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.diff.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.diff_note = QLabel("Select two or more runs to see only the settings that differ.")
        self._build_layout()
        self.refresh()

    def _build_layout(self) -> None:
        buttons = QHBoxLayout()
        for label, action in (("Refresh", self.refresh), ("Open in Compare",
                                                           self.open_in_compare),
                              ("Open folder", self.open_folder),
                              ("Delete…", self.delete_selected)):
            button = QPushButton(label)
            button.clicked.connect(action)
            buttons.addWidget(button)
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Continue the selected stopped or crashed run from its "
                                      "last finished epoch, in the same folder")
        self.resume_button.clicked.connect(self.resume_selected)
        buttons.addWidget(self.resume_button)
        buttons.addStretch(1)
        lower = QWidget()
        lower_layout = QHBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        chooser = QHBoxLayout()  # here, not in the button row: that row must fit 1024 px
        chooser.addWidget(QLabel("Overlay"))
        chooser.addWidget(self.overlay_metric, 1)
        overlay_box = QVBoxLayout()
        overlay_box.addLayout(chooser)
        overlay_box.addWidget(self.overlay, 1)
        overlay_box.addWidget(self.overlay_note)
        lower_layout.addLayout(overlay_box, 3)
        diff_box = QVBoxLayout()
        diff_box.addWidget(self.diff_note)
        diff_box.addWidget(self.diff, 1)
        lower_layout.addLayout(diff_box, 2)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        splitter.setSizes([250, 400])
        where = QHBoxLayout()
        where.addWidget(self.folder_label, 1)
        change = QPushButton("Change folder…")
        change.setToolTip("Keep runs in another folder (remembered; --runs-dir overrides)")
        change.clicked.connect(self.choose_folder)
        where.addWidget(change)
        layout = QVBoxLayout(self)
        layout.addLayout(where)
        layout.addLayout(buttons)
        layout.addWidget(splitter, 1)

    def refresh(self) -> None:
        """Re-read the run store (also what makes history survive restarts)."""
        self.runs = list_runs(self.runs_dir)
        self.folder_label.setToolTip(str(self.runs_dir))
        self.folder_label.setText(f"Runs folder: {self.runs_dir}" + (
            "" if self.runs else " (no runs yet: press ▶ Run on the Train tab)"))
        self.table.setRowCount(len(self.runs))
        for row, run in enumerate(self.runs):
            started = (datetime.fromtimestamp(run.started).strftime("%Y-%m-%d %H:%M")
                       if run.started else "-")
            cells = (started, run.name, run.status, _percent(run.accuracy("teacher")),
                     _percent(run.accuracy("student")), _percent(run.accuracy("baseline")),
                     run.run_id)
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.show_selection()

    def selected(self) -> list[RunInfo]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.runs[row] for row in rows if row < len(self.runs)]

    def select_rows(self, rows: list[int]) -> None:
        self.table.clearSelection()
        for row in rows:
            self.table.selectionModel().select(
                self.table.model().index(row, 0),
                self.table.selectionModel().SelectionFlag.Select |
                self.table.selectionModel().SelectionFlag.Rows)

    def select_paths(self, folders: list[Path]) -> int:
        """Select the runs kept in ``folders`` (re-reading the store first: a sweep may have
        just added them) and scroll to the first; returns how many were found."""
        self.refresh()
        wanted = {Path(folder).resolve() for folder in folders}
        rows = [row for row, run in enumerate(self.runs) if Path(run.path).resolve() in wanted]
        self.table.blockSignals(True)  # one redraw of curves and diff, not one per row
        try:
            self.select_rows(rows)
        finally:
            self.table.blockSignals(False)
        self.show_selection()
        if rows:
            self.table.scrollToItem(self.table.item(rows[0], 0))
        return len(rows)

    def show_selection(self) -> None:
        runs = self.selected()
        self.resume_button.setEnabled(len(runs) == 1 and resume_problem(runs[0]) is None)
        self._overlay(runs)
        self._diff(runs)

    def resume_selected(self) -> None:
        runs = self.selected()
        if len(runs) == 1 and resume_problem(runs[0]) is None:
            self.resume_requested.emit(runs[0])

    def run_color(self, run: RunInfo) -> str:
        """A run keeps its colour whatever else is selected (its place among all runs)."""
        order = sorted(r.run_id for r in self.runs)
        index = order.index(run.run_id) if run.run_id in order else 0
        return RUN_COLORS[index % len(RUN_COLORS)]

    def _overlay(self, runs: list[RunInfo]) -> None:
        """One curve per run; runs of one configuration (other seeds) as a mean ± std band."""
        item = self.overlay.getPlotItem()
        item.clear()
        self.legend.clear()
        self.bands = []
        phase, metric = METRICS[self.overlay_metric.currentText()]
        item.setLabel("left", self.overlay_metric.currentText())
        missing, last_epoch = [], 1
        curves = {run.run_id: read_curves(run.path).series(phase, metric) for run in runs}
        for run in runs:
            if not curves[run.run_id][0]:
                missing.append(f"{run.name} ·{run.run_id[-4:]} ({run.status})")
        drawn = [run for run in runs if curves[run.run_id][0]]
        configs = [read_run_config(run.path) for run in drawn]
        groups = group_repeats(configs)
        for group, label in zip(groups, group_labels(configs, groups)):
            members = [drawn[index] for index in group]
            last_epoch = max([last_epoch, *(int(max(curves[r.run_id][0])) for r in members)])
            first, series = members[0], [curves[r.run_id] for r in members]
            color = self.run_color(first)
            if len(members) > 1:
                self.bands.append(add_band(item, series, color, label or first.name))
                continue
            epochs, values = series[0]
            item.plot(epochs, values, pen=pg.mkPen(color, width=2), symbol="o",
                      symbolSize=5, symbolBrush=color, symbolPen=None,
                      name=f"{first.name} ·{first.run_id[-4:]}")
        step = max(1, -(-last_epoch // 10))  # whole epochs only, at most ~10 ticks
        item.getAxis("bottom").setTicks([[(e, str(e)) for e in range(1, last_epoch + 1, step)]])
        self.overlay_note.setText(f"No {self.overlay_metric.currentText()} recorded for: "
                                  + ", ".join(missing) if missing else "")
        self.overlay_note.setVisible(bool(missing))

    def _diff(self, runs: list[RunInfo]) -> None:
        if len(runs) < 2:
            self.diff.setRowCount(0)
            self.diff.setColumnCount(0)
            self.diff_note.setText("Select two or more runs to see only the settings that differ.")
            return
        differing = config_diff([read_run_config(run.path) for run in runs], DESCRIPTIVE_KEYS)
        self.diff_note.setText(f"{len(differing)} setting(s) differ between the selected runs"
                               if differing else "The selected runs used identical settings.")
        self.diff.setColumnCount(len(runs))
        self.diff.setRowCount(len(differing))
        for column, run in enumerate(runs):
            header = QTableWidgetItem(f"{run.name} ·{run.run_id[-4:]}")
            header.setToolTip(f"{run.name}\n{run.run_id}")
            header.setForeground(QColor(self.run_color(run)))
            self.diff.setHorizontalHeaderItem(column, header)
        self.diff.setVerticalHeaderLabels([key for key, _ in differing])
        for row, (_, values) in enumerate(differing):
            for column, value in enumerate(values):
                cell = QTableWidgetItem(str(value))
                cell.setToolTip(str(value))  # long values are cut in the cell
                self.diff.setItem(row, column, cell)
        self.diff.resizeColumnsToContents()
        for column in range(len(runs)):  # long text must not push runs off-screen
            self.diff.setColumnWidth(column, min(self.diff.columnWidth(column), MAX_DIFF_WIDTH))

    def open_in_compare(self, rows: list[int] | None = None) -> None:
        """Reopen the chosen runs (the selection by default) in the Compare tab."""
        runs = [self.runs[r] for r in rows if r < len(self.runs)] if rows else self.selected()
        runs = [run for run in runs if run.summary.get("models")]
        if runs:
            self.compare_requested.emit(runs)
        else:
            dialogs.show_error(self, "Nothing to compare",
                               ["Select runs that have results (completed or stopped after "
                                "the benchmark)."])

    def set_runs_dir(self, folder: Path) -> None:
        self.runs_dir = Path(folder).resolve()
        self.refresh()
        self.runs_changed.emit()

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Runs folder", str(self.runs_dir))
        if folder:
            self.set_runs_dir(Path(folder))
            self.folder_changed.emit(self.runs_dir)

    def open_folder(self) -> None:
        for run in self.selected()[:1]:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(run.path).resolve())))

    def delete_selected(self) -> None:
        runs = self.selected()
        if not runs:
            return
        names = "\n".join(run.run_id for run in runs)
        if not dialogs.confirm(self, "Delete runs",
                               f"Delete {len(runs)} run(s) and their checkpoints?\n\n{names}"):
            return
        for run in runs:
            try:
                delete_run(self.runs_dir, run.path)
            except Exception as error:  # noqa: BLE001 - reported, never a traceback
                dialogs.show_error(self, "Cannot delete run", [str(error)])
        self.refresh()
        self.runs_changed.emit()
