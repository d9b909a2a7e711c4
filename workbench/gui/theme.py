"""Colours and pens that read on light and dark palettes alike (Okabe-Ito hues)."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

# Mid-luminance, colour-blind safe: visible on white and on near-black.
COLORS = {
    "teacher": "#E69F00",
    "student": "#56B4E9",
    "hard": "#009E73",
    "soft": "#CC79A7",
    "baseline": "#D55E00",
    "front": "#999999",
}


def pen(role: str, width: float = 1.5, dashed: bool = False) -> pg.QtGui.QPen:
    style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
    return pg.mkPen(COLORS.get(role, role), width=width, style=style)


def brush(role: str, alpha: int = 200) -> pg.QtGui.QBrush:
    """A role's colour; other models (peers, generations, int8) share the neutral one."""
    color = QColor(COLORS.get(role, COLORS["front"]))
    color.setAlpha(alpha)
    return pg.mkBrush(color)


def plain_axes(item: pg.PlotItem) -> None:
    """No SI-prefix rescaling: accuracy stays 0.7, not "700 (x0.001)"."""
    for name in ("left", "bottom"):
        item.getAxis(name).enableAutoSIPrefix(False)


def text_color() -> QColor:
    app = QApplication.instance()
    return (app.palette() if app is not None else QPalette()).color(QPalette.ColorRole.Text)


def apply_plot_theme(app: QApplication | None = None) -> None:
    """Plots follow the window palette instead of pyqtgraph's fixed black."""
    app = app or QApplication.instance()
    palette = app.palette() if app is not None else QPalette()
    pg.setConfigOptions(background=palette.color(QPalette.ColorRole.Base),
                        foreground=palette.color(QPalette.ColorRole.Text),
                        antialias=False)


def is_dark(app: QApplication | None = None) -> bool:
    app = app or QApplication.instance()
    return app is not None and app.palette().color(QPalette.ColorRole.Window).lightness() < 128


def dark_palette() -> QPalette:
    """A plain dark palette (for ``--dark`` and for checking pens on dark backgrounds)."""
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#2b2b2b", QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#1e1e1e", QPalette.ColorRole.AlternateBase: "#2b2b2b",
        QPalette.ColorRole.Text: "#e6e6e6", QPalette.ColorRole.Button: "#353535",
        QPalette.ColorRole.ButtonText: "#e6e6e6", QPalette.ColorRole.Highlight: "#3d7ab8",
        QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#2b2b2b",
        QPalette.ColorRole.ToolTipText: "#e6e6e6", QPalette.ColorRole.PlaceholderText: "#9a9a9a",
    }
    for role, color in roles.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.ButtonText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.WindowText):  # disabled controls must look disabled
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#707070"))
    return palette
