"""Export a pyqtgraph plot as PNG or SVG, remembering the last folder and format."""
from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
import pyqtgraph.exporters as exporters
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QFileDialog, QWidget

from workbench.gui import settings

FILTERS = {"png": "PNG image (*.png)", "svg": "SVG vector image (*.svg)"}


def export_plot(plot: pg.PlotItem, path: Path) -> Path:
    """Write ``plot`` to ``path``; the suffix picks the format (.png or .svg)."""
    path = Path(path)
    if path.suffix.lower() == ".svg":
        return _export_svg(plot, path)
    else:
        path = path.with_suffix(".png") if path.suffix.lower() != ".png" else path
        exporter = exporters.ImageExporter(plot)
        exporter.parameters()["width"] = max(800, int(plot.sceneBoundingRect().width()) * 2)
    exporter.export(str(path))
    return path


def _export_svg(plot: pg.PlotItem, path: Path) -> Path:
    """Render the plot's scene region through QSvgGenerator.

    pyqtgraph 0.14's SVGExporter cannot parse the path data Qt 6.12 writes, so
    the scene is painted straight into an SVG generator instead.
    """
    source = plot.sceneBoundingRect()
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(source.size().toSize())
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    generator.setTitle("Distill Workbench plot")
    painter = QPainter(generator)
    try:
        plot.scene().render(painter, QRectF(0, 0, source.width(), source.height()), source)
    finally:
        painter.end()
    return path


def ask_and_export(parent: QWidget, plot: pg.PlotItem, name: str) -> Path | None:
    """Ask where to save (last folder and format preselected) and export."""
    folder, fmt = settings.last_export()
    chosen, selected = QFileDialog.getSaveFileName(
        parent, "Export plot", str(Path(folder) / f"{name}.{fmt}"),
        ";;".join([FILTERS[fmt]] + [text for key, text in FILTERS.items() if key != fmt]))
    if not chosen:
        return None
    path = Path(chosen)
    if path.suffix.lower() not in (".png", ".svg"):
        path = path.with_suffix(".svg" if "svg" in selected.lower() else ".png")
    written = export_plot(plot, path)
    settings.remember_export(str(written.parent), written.suffix.lstrip(".").lower())
    return written
