"""The energy chart: training joules per phase, and joules per 1,000 predictions per model.

Two horizontal bar plots side by side (their units differ by orders of magnitude,
so one axis for both would flatten the small bars). The numbers come from core.
"""
from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QWidget

from workbench.gui import theme
from workbench.gui.plots.bars import bar_plot


def _role(name: str) -> str:
    """The theme colour of a bar: phases and models share the role names."""
    for role in ("teacher", "baseline", "student"):
        if name.startswith(role):
            return role
    return "front"


class EnergyChart(QWidget):
    """Training energy per phase (J) | energy per 1,000 predictions per model (J)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.training_plot = bar_plot("Training energy", "J per phase")
        self.inference_plot = bar_plot("Prediction energy", "J per 1,000 predictions")
        self.bars: dict[str, list[tuple[str, float]]] = {"training": [], "inference": []}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.training_plot)
        layout.addWidget(self.inference_plot)

    def set_bars(self, training: Sequence[tuple[str, float]],
                 inference: Sequence[tuple[str, float]]) -> None:
        self.bars = {"training": list(training), "inference": list(inference)}
        self._draw(self.training_plot, training)
        self._draw(self.inference_plot, inference)

    @staticmethod
    def _draw(plot: pg.PlotWidget, bars: Sequence[tuple[str, float]]) -> None:
        item = plot.getPlotItem()
        item.clear()
        largest = max((value for _, value in bars), default=0.0)
        for index, (name, value) in enumerate(bars):
            alpha = 110 if name.endswith(("-int8", "-qat", "-pruned")) else 200
            item.addItem(pg.BarGraphItem(x0=0, y=[index], width=[value], height=0.6,
                                         brush=theme.brush(_role(name), alpha)))
            inside = value > 0.55 * largest  # long bars carry their value inside the end
            label = pg.TextItem(f"{value:.3g}", anchor=(1.0, 0.5) if inside else (0.0, 0.5),
                                color=theme.text_color())
            label.setPos(value, index)
            item.addItem(label)
        item.getAxis("left").setTicks([[(index, name) for index, (name, _) in enumerate(bars)]])
        item.setYRange(-0.5, max(len(bars), 1) - 0.5, padding=0.05)
        item.setXRange(0, largest * 1.05 if largest > 0 else 1.0, padding=0)
