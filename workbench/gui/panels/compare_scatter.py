"""Compare's accuracy-vs-latency scatter: one dataset at a time, every model, hover labels.

Which points exist and what their labels say comes from ``core.measure.scatter``;
this widget draws them and keeps the dataset picker.
"""
from __future__ import annotations

import math

from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from workbench.core.measure.scatter import ModelPoint, points_by_dataset
from workbench.core.runs.history import pareto_front
from workbench.core.runs.store import RunInfo
from workbench.gui import theme

# (legend name, colour role, symbol); models that are none of these share the last one.
STYLES = {"teacher": ("teacher", "teacher", "o"), "student": ("student", "student", "o"),
          "student-int8": ("student int8", "student", "t"),
          "baseline": ("baseline", "baseline", "s")}
OTHER = ("other models", "front", "d")


def _tip(x: float, y: float, data: ModelPoint | None) -> str:
    return data.describe() if data is not None else f"{x:.3g} ms, {y:.3g}"


class AccuracyLatencyScatter(QWidget):
    """Picker over the datasets of completed runs, and the scatter of the chosen one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grouped: dict[str, list[ModelPoint]] = {}
        self.picker = QComboBox()
        self.picker.setToolTip("Accuracies on different test sets do not compare: "
                               "one dataset at a time")
        self.plot = pg.PlotWidget()
        item = self.plot.getPlotItem()
        item.setTitle("Accuracy vs latency", size="10pt")
        item.setLabel("bottom", "latency, batch 1 (ms)")
        item.setLabel("left", "test accuracy")
        item.showGrid(x=True, y=True, alpha=0.2)
        theme.plain_axes(item)
        item.addLegend(offset=(-10, -10), labelTextSize="8pt")
        self.items: dict[str, pg.PlotDataItem] = {}
        for name, role, symbol in (*STYLES.values(), OTHER):
            # PlotDataItems (not bare ScatterPlotItems) so the log-scaled latency axis applies.
            data_item = item.plot([], [], pen=None, symbol=symbol, symbolSize=10,
                                  symbolBrush=theme.brush(role), symbolPen=None, name=name)
            data_item.scatter.opts.update(hoverable=True, tip=_tip)
            data_item.scatter.setAcceptHoverEvents(True)
            self.items[name] = data_item
        self.front_curve = item.plot([], [], pen=theme.pen("front", 1.5, dashed=True),
                                     name="Pareto front")
        self.shown: list[ModelPoint] = []
        row = QHBoxLayout()
        row.addWidget(QLabel("Dataset"))
        row.addWidget(self.picker, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.plot, 1)
        self.picker.currentTextChanged.connect(self.show_dataset)

    def set_runs(self, runs: Sequence[RunInfo], prefer: str | None = None) -> None:
        """Regroup the runs; keep the chosen dataset, else ``prefer``, else the first."""
        self.grouped = points_by_dataset(runs)
        keep = prefer if prefer in self.grouped else self.picker.currentText()
        self.picker.blockSignals(True)
        self.picker.clear()
        self.picker.addItems(sorted(self.grouped))
        index = self.picker.findText(keep)
        self.picker.setCurrentIndex(max(index, 0) if self.grouped else -1)
        self.picker.blockSignals(False)
        self.show_dataset(self.picker.currentText())

    def choose(self, dataset: str) -> None:
        """Show ``dataset`` when some completed run was tested on it."""
        index = self.picker.findText(dataset)
        if index >= 0:
            self.picker.setCurrentIndex(index)

    def show_dataset(self, dataset: str) -> None:
        points = self.grouped.get(dataset, [])
        self.shown = points
        by_item: dict[str, list[ModelPoint]] = {name: [] for name in self.items}
        for point in points:
            by_item[STYLES.get(point.model, OTHER)[0]].append(point)
        for name, data_item in self.items.items():
            chosen = by_item[name]
            data_item.setData([p.latency_ms for p in chosen], [p.accuracy for p in chosen],
                              data=chosen)
        xy = [(p.latency_ms, p.accuracy) for p in points]
        front = [xy[i] for i in pareto_front(xy)]
        self.front_curve.setData([p[0] for p in front], [p[1] for p in front])
        latencies = [p[0] for p in xy]
        log = bool(latencies) and max(latencies) / max(min(latencies), 1e-9) > 20
        self.plot.getPlotItem().setLogMode(x=log)
        # On a log axis pyqtgraph labels minor ticks too, and they ran together: name the
        # ticks ourselves, a few round values (log10 positions, as the axis draws them).
        axis = self.plot.getPlotItem().getAxis("bottom")
        axis.setTicks([log_ticks(min(latencies), max(latencies))] if log else None)


def log_ticks(low: float, high: float, most: int = 5) -> list[tuple[float, str]]:
    """Round values between ``low`` and ``high`` as (log10 position, text), at most ``most``."""
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    for mantissas in ((1, 2, 5), (1, 3), (1,)):
        values = [m * 10.0 ** k for k in range(first, last + 1) for m in mantissas
                  if low / 1.5 <= m * 10.0 ** k <= high * 1.5]
        if len(values) <= most:
            break
    return [(math.log10(value), f"{value:g}") for value in values]
