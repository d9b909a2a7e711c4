"""Compare, side by side: the table, size and latency bars, and accuracy vs latency.

Numbers and their formatting come from core.measure; this panel only shows them.
One run or several (reopened from the Runs tab) fill the table; the bars show the
first of them, the scatter every completed run of one dataset.
"""
from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QGridLayout, QHBoxLayout,
                               QHeaderView, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from workbench.core.measure.report import (HEADERS, comparison_rows, latency_iqr, to_csv,
                                           to_markdown)
from workbench.core.measure.scatter import dataset_name
from workbench.core.runs.history import read_run_config
from workbench.core.runs.store import RunInfo
from workbench.core.stream.events import RunEnded
from workbench.core.sweep.repeats import repeat_rows
from workbench.gui import theme
from workbench.gui.plots.bars import bar_plot
from workbench.gui.panels.compare_scatter import AccuracyLatencyScatter
from workbench.gui.plots.export import ask_and_export

if TYPE_CHECKING:
    from workbench.gui.bridge import EventBridge

KIB = 1024.0  # the table's sizes are KiB (core's human_bytes); the bars use the same unit
SHOWN_CLASSES = 6  # class names in the title; the rest are counted (issue 15)


def data_line(summary: Mapping[str, Any]) -> str:
    """``<br>data: clothes · 3 classes: boot, coat, shirt`` from the summary's dataset block."""
    data = summary.get("dataset") or {}
    classes = [str(name) for name in data.get("classes") or ()]
    if not classes:
        return ""
    shown = ", ".join(html.escape(name) for name in classes[:SHOWN_CLASSES])
    more = f" … (+{len(classes) - SHOWN_CLASSES})" if len(classes) > SHOWN_CLASSES else ""
    return (f"<br>data: {html.escape(str(data.get('name', '')))} · {len(classes)} classes: "
            f"{shown}{more}")


class ComparePanel(QWidget):
    """The Compare tab."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary: Mapping[str, Any] = {}
        self.summaries: list[Mapping[str, Any]] = []
        self.rows: list[list[str]] = []
        self.title = QLabel("Run an experiment, or double-click runs in the Runs tab, "
                            "to compare teacher, student and baseline.")
        self.title.setWordWrap(True)
        self.table = QTableWidget(0, len(HEADERS) + 1)
        self.table.setHorizontalHeaderLabels(["run", *HEADERS])
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.size_plot = bar_plot("Size", "KiB on disk")
        # Short titles and units: a plot's title sets its minimum width, and a plot wider
        # than its place is cropped, not shrunk.
        self.latency_plot = bar_plot("Latency", "ms (median)")
        self.scatter = AccuracyLatencyScatter()
        self.scatter_plot = self.scatter.plot
        self._build_layout()

    @property
    def point_count(self) -> int:
        return len(self.scatter.shown)

    @property
    def front_curve(self) -> pg.PlotDataItem:
        return self.scatter.front_curve

    def _build_layout(self) -> None:
        buttons = QHBoxLayout()
        buttons.addWidget(self.title, 1)
        for label, action in (("Copy as CSV", self.copy_csv),
                              ("Copy as Markdown", self.copy_markdown)):
            button = QPushButton(label)
            button.clicked.connect(action)
            buttons.addWidget(button)
        plots = QGridLayout()
        for column, (widget, plot, name) in enumerate((
                (self.size_plot, self.size_plot, "size"),
                (self.latency_plot, self.latency_plot, "latency"),
                (self.scatter, self.scatter_plot, "accuracy-vs-latency"))):
            plots.addWidget(widget, 0, column)
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

    # --- one run or several ----------------------------------------------------------------
    def subscribe(self, bridge: EventBridge) -> None:
        """Show each run's comparison as soon as its ``RunEnded`` arrives."""
        bridge.run_ended.connect(self.on_run_ended)

    def on_run_ended(self, event: RunEnded) -> None:
        if event.summary.get("models"):
            self.show_summary(event.summary)

    def show_summary(self, summary: Mapping[str, Any]) -> None:
        """Fill the table and the bar charts from one run summary."""
        self.show_summaries([summary])

    def show_runs(self, runs: Sequence[RunInfo]) -> int:
        """Reopen past runs (those with results); returns how many were shown."""
        shown = [run for run in runs if run.summary.get("models")]
        summaries = [{**run.summary, "run_id": run.summary.get("run_id") or run.run_id}
                     for run in shown]
        if summaries:
            self.show_summaries(summaries, [read_run_config(run.path) for run in shown])
        return len(summaries)

    def show_summaries(self, summaries: Sequence[Mapping[str, Any]],
                       configs: Sequence[Mapping[str, Any]] = ()) -> None:
        """``configs`` (each run's preset) add a mean ± std row per model wherever one
        configuration was run with several seeds (issue 14)."""
        self.summaries = list(summaries)
        self.summary = summaries[0]
        self.rows = []
        for summary in summaries:
            run = str(summary.get("run_id", ""))[-4:]
            self.rows += [[run, *cells] for cells in comparison_rows(summary)]
        if len(configs) == len(summaries):
            self.rows += repeat_rows(summaries, configs)
        names = ", ".join(f"<b>{s.get('name', '')}</b> · run {s.get('run_id', '')} · "
                          f"{s.get('status', '')}" for s in summaries)
        self.title.setText(names + data_line(summaries[0]))
        self._fill_table()
        self._fill_bars(summaries[0])
        self.scatter.choose(dataset_name(summaries[0]))

    def _fill_table(self) -> None:
        self.table.setRowCount(len(self.rows))
        for row, cells in enumerate(self.rows):
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.setColumnHidden(0, len(self.summaries) < 2)
        self._fit_table()

    def _fit_table(self) -> None:
        """Every row visible: the table is as tall as its rows, up to 45% of the tab (the
        plots keep the rest; many reopened runs scroll)."""
        table = self.table
        height = table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth()
        height += sum(table.rowHeight(r) for r in range(table.rowCount()))
        if table.horizontalHeader().length() > table.viewport().width():
            height += table.horizontalScrollBar().sizeHint().height()
        limit = max(120, int(0.45 * self.height())) if self.height() > 0 else 320
        table.setFixedHeight(min(height + 2, limit))

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        self._fit_table()

    def _fill_bars(self, summary: Mapping[str, Any]) -> None:
        models = summary.get("models") or {}
        roles = [cells[1] for cells in self.rows if cells[0] == self.rows[0][0]]
        self._bars(self.size_plot, roles,
                   [(models[r].get("size_bytes") or 0) / KIB for r in roles])
        self._bars(self.latency_plot, roles, [models[r].get("latency_ms") or 0 for r in roles],
                   [latency_iqr(models[r]) for r in roles])

    @staticmethod
    def _bars(plot: pg.PlotWidget, roles: Sequence[str], values: Sequence[float],
              spreads: Sequence[tuple[float, float] | None] = ()) -> None:
        item = plot.getPlotItem()
        item.clear()
        for index, (role, value) in enumerate(zip(roles, values)):
            variant = role.endswith("-int8") or role in ("student-qat", "student-pruned")
            brush = theme.brush("student", 110) if variant else theme.brush(role)
            item.addItem(pg.BarGraphItem(x0=0, y=[index], width=[value], height=0.6,
                                         brush=brush))
            text = f"{value:,.0f}" if value >= 100 else f"{value:.3g}"
            # Long bars carry their value inside the end, so a narrow plot never cuts it.
            inside = value > 0.55 * max(values, default=0)
            label = pg.TextItem(text, anchor=(1.0, 0.5) if inside else (0.0, 0.5),
                                color=theme.text_color())
            label.setPos(value, index)
            item.addItem(label)
        for index, spread in enumerate(spreads):
            if spread is not None:
                middle = (spread[0] + spread[1]) / 2
                item.addItem(pg.ErrorBarItem(x=np.array([middle]), y=np.array([float(index)]),
                                             width=spread[1] - spread[0],
                                             beam=0.25, pen=theme.pen("front", 1.5)))
        axis = item.getAxis("left")
        axis.setTicks([list(enumerate(roles))])
        # Wide enough for the longest name now: a plot filled while its tab was hidden
        # never measured its labels and drew none.
        metrics = QFontMetrics(axis.style.get("tickFont") or plot.font())
        axis.setWidth(max((metrics.horizontalAdvance(role) for role in roles), default=20) + 14)
        item.setYRange(-0.6, len(roles) - 0.4, padding=0)
        highest = max([*values, *(s[1] for s in spreads if s)], default=1)
        item.setXRange(0, highest * 1.6 or 1, padding=0)

    # --- all runs ----------------------------------------------------------------------
    def show_history(self, runs: Sequence[RunInfo]) -> None:
        """Scatter every model of every completed run of the chosen dataset."""
        self.scatter.set_runs(runs, prefer=dataset_name(self.summary) if self.summary else None)

    # --- clipboard ---------------------------------------------------------------------
    def copy_csv(self) -> str:
        text = "".join(to_csv(s) if i == 0 else to_csv(s).split("\n", 1)[1]
                       for i, s in enumerate(self.summaries or [self.summary]))
        QApplication.clipboard().setText(text)
        return text

    def copy_markdown(self) -> str:
        text = "\n\n".join(to_markdown(s) for s in self.summaries or [self.summary])
        QApplication.clipboard().setText(text)
        return text
