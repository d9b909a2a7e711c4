"""Horizontal bar plots, as Compare and the Green tab draw them."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QSizePolicy

from workbench.gui import theme


def bar_plot(title: str, unit: str) -> pg.PlotWidget:
    """Horizontal bars: names sit on the left axis, one per line, first bar on top."""
    widget = pg.PlotWidget()
    item = widget.getPlotItem()
    item.setTitle(title, size="10pt")
    item.setLabel("bottom", unit)
    item.setMouseEnabled(x=False, y=False)
    item.hideButtons()
    item.showGrid(x=True, alpha=0.2)
    item.invertY(True)  # the listed order, top to bottom
    theme.plain_axes(item)
    widget.setMinimumSize(160, 120)
    widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    return widget
