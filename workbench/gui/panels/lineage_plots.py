"""The Lineage tab's charts: metric strips against the references, ROC curves, and the
accuracy-vs-AUC trade-off of the defenses. They draw plain data (``to_dict`` forms),
so a result opened from a JSON file looks the same as one computed in the window."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyqtgraph as pg

from workbench.gui import theme

CURVE_COLORS = ("#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#0072B2", "#999999",
                "#F0E442", "#882255", "#44AA99")


class StripPlot(pg.PlotWidget):
    """One row per metric: references (grey), known distilled (orange), suspect (red)."""

    def __init__(self) -> None:
        super().__init__(title="Metrics against the references")
        item = self.getPlotItem()
        item.setLabel("bottom", "z-score against the references")
        item.showGrid(x=True, alpha=0.2)
        theme.plain_axes(item)
        item.invertY(True)  # first metric on top, as in the table beside it
        item.getAxis("left").setWidth(190)  # room for the metric names
        self.legend = item.addLegend(offset=(-10, 10), labelTextSize="8pt")
        self.suspect_points: list[tuple[float, float]] = []

    def show(self, readings: Sequence[Mapping[str, Any]]) -> None:  # type: ignore[override]
        self.clear()
        self.legend.clear()
        rows = range(len(readings))
        groups = (("references", "reference_z", "front", 9), ("known distilled",
                  "distilled_z", "teacher", 9))
        for name, key, role, size in groups:
            x = [z for reading in readings for z in reading[key]]
            y = [row for row, reading in zip(rows, readings) for _ in reading[key]]
            if x:
                self.addItem(pg.ScatterPlotItem(x, y, size=size, brush=theme.brush(role, 150),
                                                pen=None, name=name))
        self.suspect_points = [(float(reading["z"]), float(row))
                               for row, reading in zip(rows, readings)]
        xs, ys = zip(*self.suspect_points) if self.suspect_points else ((), ())
        self.addItem(pg.ScatterPlotItem(list(xs), list(ys), size=16, symbol="d",
                                        brush=theme.brush("soft", 255),
                                        pen=pg.mkPen(theme.text_color()), name="suspect"))
        self.addItem(pg.InfiniteLine(0, angle=90, pen=theme.pen("front", 1, dashed=True)))
        self.getPlotItem().getAxis("left").setTicks(
            [[(row, reading["label"]) for row, reading in zip(rows, readings)]])
        self.getPlotItem().setYRange(-0.5, max(0.5, len(readings) - 0.5))


class RocPlot(pg.PlotWidget):
    """ROC curves of the combined score (thick) and of each metric (thin)."""

    def __init__(self) -> None:
        super().__init__(title="ROC, held-out scores")
        item = self.getPlotItem()
        item.setLabel("bottom", "false-positive rate")
        item.setLabel("left", "true-positive rate")
        item.showGrid(x=True, y=True, alpha=0.2)
        theme.plain_axes(item)
        self.legend = item.addLegend(offset=(-5, -5), labelTextSize="7pt", verSpacing=-6)
        self.curves: dict[str, pg.PlotDataItem] = {}

    def show(self, roc: Mapping[str, Sequence[Sequence[float]]],  # type: ignore[override]
             auc: Mapping[str, float], labels: Mapping[str, str]) -> None:
        self.clear()
        self.legend.clear()
        self.curves = {}
        self.plot([0, 1], [0, 1], pen=theme.pen("front", 1, dashed=True))
        for index, (name, points) in enumerate(roc.items()):
            if not points:
                continue
            x, y = zip(*points)
            combined = name == "combined"  # the one that matters: thick and vermilion
            color = "#D55E00" if combined else CURVE_COLORS[index % len(CURVE_COLORS)]
            pen = pg.mkPen(color, width=3 if combined else 1)
            self.curves[name] = self.plot(list(x), list(y), pen=pen,
                                          name=f"{labels.get(name, name)} ({auc[name]:.3f})")
        self.getPlotItem().setRange(xRange=(0, 1), yRange=(0, 1.02))


class TradeOffPlot(pg.PlotWidget):
    """Student accuracy against detection AUC, one point per defense level."""

    def __init__(self) -> None:
        super().__init__(title="Defenses: accuracy vs AUC")
        item = self.getPlotItem()
        item.setLabel("bottom", "distilled student's test accuracy")
        item.setLabel("left", "detection ROC-AUC")
        item.showGrid(x=True, y=True, alpha=0.2)
        theme.plain_axes(item)
        self.points: list[tuple[float, float]] = []

    def show(self, rows: Sequence[Mapping[str, Any]]) -> None:  # type: ignore[override]
        self.clear()
        self.points = [(float(row["student_accuracy"]), float(row["auc"])) for row in rows]
        if not self.points:
            return
        x, y = zip(*self.points)
        self.addItem(pg.ScatterPlotItem(list(x), list(y), size=11, brush=theme.brush("student")))
        for index, (row, (accuracy, auc)) in enumerate(zip(rows, self.points)):
            anchor = (0, 1) if index % 2 == 0 else (1, 0)  # neighbours label on both sides
            label = pg.TextItem(str(row["defense"]).replace("distill.", ""),
                                color=theme.COLORS["front"], anchor=anchor)
            label.setPos(accuracy, auc)
            self.addItem(label)
        self.getPlotItem().setYRange(min(0.4, min(y) - 0.05), 1.02)
        self.getPlotItem().setXRange(min(x) - 0.02, max(x) + 0.02)

