"""Compare at small sizes: log-axis ticks that do not run together, bar values that fit."""
from __future__ import annotations

import math

import pyqtgraph as pg

from workbench.gui.panels.compare_scatter import log_ticks


def test_log_ticks_are_few_round_values_at_their_log_positions() -> None:
    ticks = log_ticks(0.03, 1.3)
    assert [text for _, text in ticks] == ["0.03", "0.1", "0.3", "1"]
    assert all(math.isclose(position, math.log10(float(text))) for position, text in ticks)
    assert len(log_ticks(0.001, 100)) <= 6 and len(log_ticks(0.05, 0.9)) <= 5


def test_the_longest_bar_carries_its_value_inside(qtbot) -> None:
    from workbench.gui.panels.compare import ComparePanel

    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    ComparePanel._bars(plot, ["teacher", "student"], [3411.0, 201.0])
    labels = [item for item in plot.getPlotItem().items if isinstance(item, pg.TextItem)]
    anchors = {label.textItem.toPlainText(): tuple(label.anchor) for label in labels}
    assert anchors["3,411"] == (1.0, 0.5)   # right edge inside the bar: never cut off
    assert anchors["201"] == (0.0, 0.5)
