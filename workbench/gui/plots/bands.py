"""Mean ± std bands for repeated runs (same configuration, other seeds) on an overlay plot.

The band itself (mean and sample std at each epoch) is ``core.sweep.repeats.curve_band``;
this only draws it: a shaded area between mean − std and mean + std, the mean as a line,
and each run thin and faint beneath, so an outlier seed stays visible.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from workbench.core.sweep.repeats import Band, curve_band

BAND_ALPHA = 60  # of 255: the shaded area never hides the lines of other runs
SEED_ALPHA = 90


def add_band(item: pg.PlotItem, curves: Sequence[tuple[Sequence[float], Sequence[float]]],
             color: str, name: str) -> Band:
    """Draw several seeds' curves as one mean ± std band; returns the band drawn."""
    band = curve_band(curves)
    faint = QColor(color)
    faint.setAlpha(SEED_ALPHA)
    for epochs, values in curves:
        item.plot(list(epochs), list(values), pen=pg.mkPen(faint, width=1))
    x = np.asarray(band.epochs, dtype=float)
    lower = item.plot(x, np.asarray(band.lower), pen=pg.mkPen(None))
    upper = item.plot(x, np.asarray(band.upper), pen=pg.mkPen(None))
    shade = QColor(color)
    shade.setAlpha(BAND_ALPHA)
    fill = pg.FillBetweenItem(lower, upper, brush=pg.mkBrush(shade))
    item.addItem(fill)
    item.plot(x, np.asarray(band.mean), pen=pg.mkPen(color, width=2.5), symbol="o",
              symbolSize=5, symbolBrush=color, symbolPen=None,
              name=f"{name}: mean ± std of {max(band.n, default=0)} seeds")
    return band
