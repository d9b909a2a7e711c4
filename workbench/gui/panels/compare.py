"""Compare, side by side: the table, size and latency bars, and accuracy vs latency.

Numbers and their formatting come from core.report; this panel only shows them.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (QApplication, QGridLayout, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from workbench.core.measure.report import HEADERS, comparison_rows, to_csv, to_markdown
from workbench.core.runs.history import pareto_front
from workbench.core.runs.store import RunInfo
from workbench.core.stream.events import RunEnded
from workbench.gui import theme
from workbench.gui.plots.export import ask_and_export

if TYPE_CHECKING:
    from workbench.gui.bridge import EventBridge

SCATTER_ROLES = ("teacher", "student", "baseline")  # one colour each across all runs


def _bar_plot(title: str, unit: str) -> pg.PlotWidget:
    widget = pg.PlotWidget(title=title)
    item = widget.getPlotItem()
    item.setLabel("left", unit)
    item.setMouseEnabled(x=False, y=False)
    item.hideButtons()
    item.showGrid(y=True, alpha=0.2)
    theme.plain_axes(item)
    return widget


class ComparePanel(QWidget):
    """The Compare tab."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary: Mapping[str, Any] = {}
        self.rows: list[list[str]] = []
        self.title = QLabel("Run an experiment to compare its teacher, student and baseline.")
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setMaximumHeight(130)
        self.size_plot = _bar_plot("Size on disk", "kB")
        self.latency_plot = _bar_plot("Latency at batch 1", "ms")
        self.scatter_plot = pg.PlotWidget(title="Accuracy vs latency, all completed runs")
        scatter = self.scatter_plot.getPlotItem()
        scatter.setLabel("bottom", "latency at batch 1 (ms)")
        scatter.setLabel("left", "test accuracy")
        scatter.showGrid(x=True, y=True, alpha=0.2)
        theme.plain_axes(scatter)
        scatter.addLegend(offset=(-10, -10), labelTextSize="8pt")
        # PlotDataItems (not bare ScatterPlotItems) so the log-scaled latency axis applies.
        self.scatter_items = {role: scatter.plot([], [], pen=None, symbol="o", symbolSize=9,
                                                 symbolBrush=theme.brush(role), symbolPen=None,
                                                 name=role) for role in SCATTER_ROLES}
        self.front_curve = scatter.plot([], [], pen=theme.pen("front", 1.5, dashed=True),
                                        name="Pareto front")
        self.point_count = 0
        self._build_layout()

    def _build_layout(self) -> None:
        buttons = QHBoxLayout()
        buttons.addWidget(self.title, 1)
        for label, action in (("Copy as CSV", self.copy_csv),
                              ("Copy as Markdown", self.copy_markdown)):
            button = QPushButton(label)
            button.clicked.connect(action)
            buttons.addWidget(button)
        plots = QGridLayout()
        for column, (plot, name) in enumerate(((self.size_plot, "size"),
                                               (self.latency_plot, "latency"),
                                               (self.scatter_plot, "accuracy-vs-latency"))):
            plots.addWidget(plot, 0, column)
            export = QPushButton(f"Export {name.split('-')[0]} plot…")
            export.clicked.connect(lambda _=False, p=plot, n=name:
                                   ask_and_export(self, p.getPlotItem(), n))
            plots.addWidget(export, 1, column)
        plots.setColumnStretch(2, 2)
        plots.setColumnStretch(0, 1)
        plots.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        layout.addLayout(plots, 1)

    # --- one run -----------------------------------------------------------------------
    def subscribe(self, bridge: EventBridge) -> None:
        """Show each run's comparison as soon as its ``RunEnded`` arrives."""
        bridge.run_ended.connect(self.on_run_ended)

    def on_run_ended(self, event: RunEnded) -> None:
        if event.summary.get("models"):
            self.show_summary(event.summary)

    def show_summary(self, summary: Mapping[str, Any]) -> None:
        """Fill the table and the bar charts from a run summary."""
        self.summary = summary
        self.rows = comparison_rows(summary)
        self.title.setText(f"<b>{summary.get('name', '')}</b> · run {summary.get('run_id', '')}"
                           f" · {summary.get('status', '')}")
        self.table.setRowCount(len(self.rows))
        for row, cells in enumerate(self.rows):
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        models = summary.get("models") or {}
        roles = [cells[0] for cells in self.rows]
        self._bars(self.size_plot, roles,
                   [(models[r].get("size_bytes") or 0) / 1e3 for r in roles])
        self._bars(self.latency_plot, roles,
                   [models[r].get("latency_ms") or 0 for r in roles])

    @staticmethod
    def _bars(plot: pg.PlotWidget, roles: Sequence[str], values: Sequence[float]) -> None:
        item = plot.getPlotItem()
        item.clear()
        for index, (role, value) in enumerate(zip(roles, values)):
            item.addItem(pg.BarGraphItem(x=[index], height=[value], width=0.6,
                                         brush=theme.brush(role)))
            text = f"{value:,.0f}" if value >= 100 else f"{value:.3g}"
            label = pg.TextItem(text, anchor=(0.5, 1.0), color=theme.text_color())
            label.setPos(index, value)
            item.addItem(label)
        item.getAxis("bottom").setTicks([list(enumerate(roles))])
        item.setXRange(-0.6, len(roles) - 0.4, padding=0)
        item.setYRange(0, max(values, default=1) * 1.2 or 1, padding=0)

    # --- all runs ----------------------------------------------------------------------
    def show_history(self, runs: Sequence[RunInfo]) -> None:
        """Scatter every model of every completed run; draw the Pareto front."""
        points: list[tuple[float, float]] = []
        by_role: dict[str, list[tuple[float, float]]] = {role: [] for role in SCATTER_ROLES}
        for run in runs:
            if run.status != "completed":
                continue
            for role, figures in (run.summary.get("models") or {}).items():
                latency, accuracy = figures.get("latency_ms"), figures.get("accuracy")
                if role in by_role and latency and accuracy is not None:
                    by_role[role].append((latency, accuracy))
                    points.append((latency, accuracy))
        for role, item in self.scatter_items.items():
            xy = np.array(by_role[role], dtype=float).reshape(-1, 2)
            item.setData(xy[:, 0], xy[:, 1])
        front = [points[i] for i in pareto_front(points)]
        self.front_curve.setData([p[0] for p in front], [p[1] for p in front])
        self.point_count = len(points)
        self.scatter_plot.getPlotItem().setLogMode(x=bool(points) and
                                                   max(p[0] for p in points) /
                                                   max(min(p[0] for p in points), 1e-9) > 20)

    # --- clipboard ---------------------------------------------------------------------
    def copy_csv(self) -> str:
        text = to_csv(self.summary)
        QApplication.clipboard().setText(text)
        return text

    def copy_markdown(self) -> str:
        text = to_markdown(self.summary)
        QApplication.clipboard().setText(text)
        return text
