"""The run history: every run in the store, overlaid curves and a config diff of a selection."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QSplitter, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from workbench.core.runs.history import config_diff, delete_run, read_curves, read_run_config
from workbench.core.runs.store import RunInfo, list_runs
from workbench.gui import dialogs, theme

COLUMNS = ("started", "preset", "status", "teacher", "student", "baseline", "run id")
METRICS = {"student val accuracy": ("student", "val_acc"),
           "student train loss": ("student", "train_loss"),
           "baseline val accuracy": ("baseline", "val_acc"),
           "teacher val accuracy": ("teacher", "val_acc")}
# Distinct hues for overlaid runs (readable on light and dark backgrounds).
RUN_COLORS = ("#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#F0E442", "#0072B2",
              "#999999")


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


class RunsPanel(QWidget):
    """The Runs tab. ``runs_changed`` fires after a delete so other tabs refresh."""

    runs_changed = Signal()

    def __init__(self, runs_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs_dir = Path(runs_dir)
        self.runs: list[RunInfo] = []
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
        self.metric = QComboBox()
        self.metric.addItems(list(METRICS))
        self.metric.currentTextChanged.connect(self.show_selection)
        self.overlay = pg.PlotWidget(title="Selected runs")
        self.overlay.getPlotItem().setLabel("bottom", "epoch")
        self.overlay.getPlotItem().showGrid(x=True, y=True, alpha=0.2)
        theme.plain_axes(self.overlay.getPlotItem())
        self.legend = self.overlay.getPlotItem().addLegend(offset=(-10, 10),
                                                           labelTextSize="8pt")
        self.diff = QTableWidget(0, 1)
        self.diff.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.diff_note = QLabel("Select two or more runs to see only the settings that differ.")
        self._build_layout()
        self.refresh()

    def _build_layout(self) -> None:
        buttons = QHBoxLayout()
        for label, action in (("Refresh", self.refresh), ("Open folder", self.open_folder),
                              ("Delete…", self.delete_selected)):
            button = QPushButton(label)
            button.clicked.connect(action)
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(QLabel("Overlay"))
        buttons.addWidget(self.metric)
        lower = QWidget()
        lower_layout = QHBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.overlay, 3)
        diff_box = QVBoxLayout()
        diff_box.addWidget(self.diff_note)
        diff_box.addWidget(self.diff, 1)
        lower_layout.addLayout(diff_box, 2)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        splitter.setSizes([250, 400])
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(splitter, 1)

    def refresh(self) -> None:
        """Re-read the run store (also what makes history survive restarts)."""
        self.runs = list_runs(self.runs_dir)
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

    def show_selection(self) -> None:
        runs = self.selected()
        self._overlay(runs)
        self._diff(runs)

    def _overlay(self, runs: list[RunInfo]) -> None:
        item = self.overlay.getPlotItem()
        item.clear()
        self.legend.clear()
        phase, metric = METRICS[self.metric.currentText()]
        item.setLabel("left", self.metric.currentText())
        for index, run in enumerate(runs):
            epochs, values = read_curves(run.path).series(phase, metric)
            if epochs:
                color = RUN_COLORS[index % len(RUN_COLORS)]
                item.plot(epochs, values, pen=pg.mkPen(color, width=2), symbol="o",
                          symbolSize=5, symbolBrush=color, symbolPen=None,
                          name=f"{run.name} · {run.run_id[9:15]}")

    def _diff(self, runs: list[RunInfo]) -> None:
        if len(runs) < 2:
            self.diff.setRowCount(0)
            self.diff.setColumnCount(0)
            self.diff_note.setText("Select two or more runs to see only the settings that differ.")
            return
        differing = config_diff([read_run_config(run.path) for run in runs])
        self.diff_note.setText(f"{len(differing)} setting(s) differ between the selected runs"
                               if differing else "The selected runs used identical settings.")
        self.diff.setColumnCount(len(runs))
        self.diff.setHorizontalHeaderLabels([f"{run.name}\n{run.run_id[9:15]}" for run in runs])
        self.diff.setRowCount(len(differing))
        self.diff.setVerticalHeaderLabels([key for key, _ in differing])
        for row, (_, values) in enumerate(differing):
            for column, value in enumerate(values):
                self.diff.setItem(row, column, QTableWidgetItem(str(value)))
        self.diff.resizeColumnsToContents()

    def open_folder(self) -> None:
        for run in self.selected()[:1]:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(run.path)))

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
