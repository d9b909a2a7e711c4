"""A sweep heatmap: one square per (x, y) setting, coloured by a figure, labelled with it.

What each square holds comes from ``core.sweep.matrix``; this widget only draws
it. Squares fill in as cells finish; hovering a square shows its mean ± std
and n (and the runs); clicking one emits ``square_clicked``.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Signal
from PySide6.QtWidgets import QToolTip, QVBoxLayout, QWidget

from workbench.core.sweep.matrix import HeatmapData, HeatmapSquare
from workbench.gui import theme

COLORMAP = "viridis"  # perceptually even, readable on light and dark palettes


class Heatmap(QWidget):
    """Signals:
        square_clicked(HeatmapSquare): the square under a click (one that has a value).
    """

    square_clicked = Signal(object)

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.data: HeatmapData | None = None
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        item = self.plot.getPlotItem()
        item.setTitle(title, size="10pt")
        theme.plain_axes(item)
        self.image = pg.ImageItem()
        self.image.setColorMap(pg.colormap.get(COLORMAP))
        item.addItem(self.image)
        self.labels: list[pg.TextItem] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self.plot.scene().sigMouseMoved.connect(self._hover)
        self.plot.scene().sigMouseClicked.connect(self._click)

    def show_data(self, data: HeatmapData) -> None:
        """Redraw every square (cheap: a sweep has tens of squares, not thousands)."""
        self.data = data
        values = np.full((len(data.x_values), len(data.y_values)), np.nan)
        for (column, row), square in data.squares.items():
            values[column, row] = square.figure.mean
        finite = values[np.isfinite(values)]
        levels = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if levels[0] == levels[1]:
            levels = (levels[0] - 1e-6, levels[1] + 1e-6)
        self.image.setImage(values, levels=levels, autoLevels=False)
        self.image.setRect(0, 0, len(data.x_values), len(data.y_values))
        self._axes(data)
        self._label(data, levels)

    def square_at(self, column: int, row: int) -> HeatmapSquare | None:
        return None if self.data is None else self.data.squares.get((column, row))

    def _axes(self, data: HeatmapData) -> None:
        item = self.plot.getPlotItem()
        item.getAxis("bottom").setTicks([[(i + 0.5, v) for i, v in enumerate(data.x_values)]])
        item.getAxis("left").setTicks([[(i + 0.5, v) for i, v in enumerate(data.y_values)]])
        item.setLabel("bottom", data.x_key)
        item.setLabel("left", data.y_key or "")
        item.setRange(xRange=(0, len(data.x_values)), yRange=(0, len(data.y_values)), padding=0)

    def _label(self, data: HeatmapData, levels: tuple[float, float]) -> None:
        """Each square's mean ± std, dark on viridis' bright end and light on its dark end."""
        for label in self.labels:
            self.plot.removeItem(label)
        self.labels = []
        for (column, row), square in data.squares.items():
            mean, std = square.figure.mean or 0.0, square.figure.std
            text = f"{mean * 100:.2f}" + ("" if std is None else f"\n±{std * 100:.2f}")
            bright = (mean - levels[0]) / (levels[1] - levels[0]) > 0.6
            label = pg.TextItem(text, color="k" if bright else "w", anchor=(0.5, 0.5))
            label.setPos(column + 0.5, row + 0.5)
            self.plot.addItem(label)
            self.labels.append(label)

    def _square_under(self, scene_pos: QPointF) -> HeatmapSquare | None:
        point = self.plot.getPlotItem().vb.mapSceneToView(scene_pos)
        if point.x() < 0 or point.y() < 0:
            return None
        return self.square_at(int(point.x()), int(point.y()))

    def _hover(self, scene_pos: QPointF) -> None:
        square = self._square_under(scene_pos)
        if square is None or self.data is None:
            QToolTip.hideText()
            return
        tip = square.tooltip(self.title, self.data.x_key, self.data.y_key)
        self.plot.setToolTip(tip)
        QToolTip.showText(self.plot.mapToGlobal(self.plot.mapFromScene(scene_pos)), tip)

    def _click(self, event: object) -> None:
        square = self._square_under(event.scenePos())  # type: ignore[attr-defined]
        if square is not None:
            self.square_clicked.emit(square)
