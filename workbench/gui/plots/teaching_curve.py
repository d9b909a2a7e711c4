"""The thin α and T plot under the loss plot: what a schedule did, epoch by epoch.

The run reports the α and T of each epoch's last step in its ``EpochEnded`` metrics;
this plot puts them at that step on the loss plot's x axis (the two are x-linked),
α on the left axis (0-1), T on the right one. It stays hidden until a run reports
them, so methods without α and T keep the loss plot's full height.
"""
from __future__ import annotations

import pyqtgraph as pg

from workbench.gui import theme
from workbench.gui.plots.buffers import GrowingSeries

HEIGHT = 90  # px: a strip, the loss plot keeps the room
METRICS = {"alpha": ("α", "hard"), "temperature": ("T", "soft")}  # metric: (label, colour role)


class TeachingCurves(pg.PlotWidget):
    """α (left axis) and T (right axis) per epoch end, at the step they were used."""

    def __init__(self, loss_plot: pg.PlotWidget) -> None:
        super().__init__()
        self.setFixedHeight(HEIGHT)
        item = self.getPlotItem()
        item.setXLink(loss_plot.getPlotItem())
        item.setLabel("left", "α", color=theme.COLORS["hard"])
        item.showAxis("right")
        item.setLabel("right", "T", color=theme.COLORS["soft"])
        item.setYRange(0.0, 1.0, padding=0.05)
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        theme.plain_axes(item)
        self.temperature_box = pg.ViewBox()
        item.scene().addItem(self.temperature_box)
        item.getAxis("right").linkToView(self.temperature_box)
        self.temperature_box.setXLink(item)
        item.vb.sigResized.connect(self._align)
        self.series = {metric: GrowingSeries() for metric in METRICS}
        self.curves = {
            "alpha": item.plot([], [], pen=theme.pen("hard", 1.0)),
            "temperature": pg.PlotDataItem([], [], pen=theme.pen("soft", 1.0, dashed=True)),
        }
        self.temperature_box.addItem(self.curves["temperature"])
        self.setVisible(False)

    def _align(self) -> None:
        """The T box covers the α box: pyqtgraph's two-axis recipe."""
        self.temperature_box.setGeometry(self.getPlotItem().vb.sceneBoundingRect())
        self.temperature_box.linkedViewChanged(self.getPlotItem().vb,
                                               self.temperature_box.XAxis)

    def add(self, x: float, metrics: dict[str, float]) -> None:
        """Buffer the α and T an epoch reported at its last step ``x``."""
        for metric in METRICS:
            if metric in metrics:
                self.series[metric].append(x, float(metrics[metric]))
                self.setVisible(True)

    def reset(self) -> None:
        for series in self.series.values():
            series.clear()
        self.setVisible(False)
        self.redraw()

    def redraw(self) -> bool:
        """Push changed buffers into the curves; whether anything changed."""
        changed = False
        for metric, series in self.series.items():
            if series.take_dirty():
                self.curves[metric].setData(*series.view(False))
                changed = True
        if changed:
            self.temperature_box.enableAutoRange(y=True)
        return changed

    def point_count(self, metric: str) -> int:
        x_data = self.curves[metric].xData
        return 0 if x_data is None else int(len(x_data))

    def values(self, metric: str) -> list[float]:
        y_data = self.curves[metric].yData
        return [] if y_data is None else [float(value) for value in y_data]
