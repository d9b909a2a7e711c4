"""The Data tab: what an opened dataset holds, before anything trains on it.

A grid with one row per class (its name, its count in each split, a strip of
sample images), the input shape, and the files that could not be read. Feature
vectors (CSV, arrays) show their first rows instead of images. What is shown comes
from core's ``describe_dataset`` (a ``DatasetInfo`` of plain values).
"""
from __future__ import annotations

import html
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from workbench.core.data.inspect import DatasetInfo

THUMB = 40  # px per sample image: 28-px images a little enlarged, 8 of them fit 1024 px
SHOWN_PROBLEMS = 5  # unreadable files listed by name; the rest are counted
EMPTY = "File ▸ Open dataset… shows a folder of images, an .npz/.npy or a .csv here."


def is_images(info: DatasetInfo) -> bool:
    return len(info.input_shape) == 3


def shape_words(shape: Sequence[int]) -> str:
    """``1×28×28`` for images, ``5 features`` for feature vectors."""
    return f"{shape[0]} features" if len(shape) == 1 else "×".join(map(str, shape))


def short_path(text: str) -> str:
    """``~/clothes`` for paths under the home folder (shorter, and says whose they are)."""
    home = str(Path.home())
    if home in ("", os.sep):
        return text
    return ("~" if text == home else text).replace(home + os.sep, "~" + os.sep)


def to_qimage(image: np.ndarray) -> QImage:
    """A uint8 grayscale or RGB image (HxW, 1xHxW, 3xHxW or HxWx3) as a QImage."""
    data = np.asarray(image)
    if data.dtype != np.uint8:
        data = np.clip(data, 0, 255).astype(np.uint8)
    if data.ndim == 3 and data.shape[0] in (1, 3) and data.shape[-1] not in (1, 3):
        data = np.moveaxis(data, 0, -1)  # CxHxW -> HxWxC
    if data.ndim == 3 and data.shape[-1] == 1:
        data = data[..., 0]
    data = np.ascontiguousarray(data)
    if data.ndim == 2:
        return QImage(data.data, data.shape[1], data.shape[0], data.strides[0],
                      QImage.Format.Format_Grayscale8).copy()
    return QImage(data.data, data.shape[1], data.shape[0], data.strides[0],
                  QImage.Format.Format_RGB888).copy()


def strip(images: Sequence[np.ndarray], size: int = THUMB) -> QPixmap:
    """Sample images side by side, each scaled to ``size`` px (aspect kept)."""
    pixmap = QPixmap(max(1, len(images)) * (size + 2), size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    for index, image in enumerate(images):
        thumb = QPixmap.fromImage(to_qimage(image)).scaled(
            size, size, Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation)
        painter.drawPixmap(index * (size + 2) + (size - thumb.width()) // 2,
                           (size - thumb.height()) // 2, thumb)
    painter.end()
    return pixmap


class DatasetView(QWidget):
    """One opened dataset: classes, counts per split, samples, unreadable files."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info: DatasetInfo | None = None
        self.title = QLabel(EMPTY)
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #D55E00;")
        self.problems.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems.hide()
        self.table = QTableWidget(0, 0)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.features = QTableWidget(0, 0)  # the first rows of feature-vector data
        self.features.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.features.hide()
        self.features_title = QLabel("The first rows of the training split")
        self.features_title.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.problems)
        layout.addWidget(self.table, 2)
        layout.addWidget(self.features_title)
        layout.addWidget(self.features, 1)
        self.table.hide()

    def show_info(self, info: DatasetInfo) -> None:
        """Fill the tab from ``info``."""
        self.info = info
        self.title.setText(self._title(info))
        self.title.setToolTip(info.source)
        self._show_problems(info)
        self._fill_classes(info)
        self._fill_features(info)

    def clear(self) -> None:
        self.info = None
        self.title.setText(EMPTY)
        self.problems.hide()
        self.table.hide()
        self.features.hide()
        self.features_title.hide()

    # --- parts --------------------------------------------------------------------------
    @staticmethod
    def _title(info: DatasetInfo) -> str:
        shape = shape_words(info.input_shape)
        what = " (images)" if is_images(info) else ""
        totals = " · ".join(f"{split} {sum(counts):,}" for split, counts in info.counts.items())
        source = html.escape(short_path(info.source))
        notes = "".join(f" · {html.escape(short_path(note))}" for note in info.notes)
        return (f"<b>{html.escape(info.name)}</b> — {source}<br>"
                f"input {shape}{what} · {len(info.classes)} classes · {totals}{notes}")

    def show_error(self, text: str) -> None:
        """The dataset could not be read: say why, in place of the grid."""
        self.info = None
        self.title.setText("The dataset could not be read.")
        self.problems.setText(f"⚠ {html.escape(text)}")
        self.problems.show()
        self.table.hide()
        self.features.hide()
        self.features_title.hide()

    def _show_problems(self, info: DatasetInfo) -> None:
        lines = []
        count = max(info.unreadable_count, len(info.unreadable))
        if count:
            listed = "".join(f"<br>• {html.escape(short_path(path))}: {html.escape(reason)}"
                             for path, reason in list(info.unreadable)[:SHOWN_PROBLEMS])
            more = count - min(len(info.unreadable), SHOWN_PROBLEMS)
            tail = f"<br>… and {more} more" if more > 0 else ""
            lines.append(f"⚠ {count} file(s) could not be read and are left out:{listed}{tail}")
        self.problems.setText("<br>".join(lines))
        self.problems.setVisible(bool(lines))

    def _fill_classes(self, info: DatasetInfo) -> None:
        splits = list(info.counts)
        with_samples = is_images(info) and any(len(s) for s in info.samples.values())
        headers = ["class", *splits, *(["samples"] if with_samples else [])]
        table = self.table
        table.clear()
        table.setColumnCount(len(headers))
        table.setHorizontalHeaderLabels(headers)
        table.setRowCount(len(info.classes))
        for row, name in enumerate(info.classes):
            table.setItem(row, 0, QTableWidgetItem(name))
            for column, split in enumerate(splits, start=1):
                counts = info.counts[split]
                value = counts[row] if row < len(counts) else 0
                item = QTableWidgetItem(f"{value:,}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                table.setItem(row, column, item)
            if with_samples:
                table.setCellWidget(row, len(headers) - 1, QLabel())
        table.verticalHeader().setDefaultSectionSize(THUMB + 6 if with_samples else
                                                     self.fontMetrics().height() + 8)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(with_samples)
        # without images the rows are short: the table takes their height, the rows of
        # features below take the rest
        table.setMaximumHeight(16777215 if with_samples else self._content_height(table))
        table.show()
        self._fill_strips()

    def _fill_strips(self) -> None:
        """As many samples per class as the samples column has room for (at least one)."""
        info = self.info
        if info is None or not is_images(info):
            return
        column = self.table.columnCount() - 1
        room = self.table.viewport().width() - sum(self.table.columnWidth(c)
                                                   for c in range(column))
        fit = max(1, room // (THUMB + 2))
        for row, name in enumerate(info.classes):
            label = self.table.cellWidget(row, column)
            if not isinstance(label, QLabel):
                continue
            images = list(info.samples.get(name, ()))[:fit]
            label.setPixmap(strip(images))
            label.setToolTip(f"{len(images)} {name} image(s) from the training split")

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        self._fill_strips()

    @staticmethod
    def _content_height(table: QTableWidget) -> int:
        rows = sum(table.rowHeight(row) for row in range(table.rowCount()))
        return rows + table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth() + 2

    def _fill_features(self, info: DatasetInfo) -> None:
        self.features_title.setVisible(not is_images(info) and bool(info.rows))
        if is_images(info) or not info.rows:
            self.features.hide()
            return
        columns = list(info.columns) or [f"x{i}" for i in range(len(info.rows[0]))]
        self.features.clear()
        self.features.setColumnCount(len(columns))
        self.features.setHorizontalHeaderLabels(columns)
        self.features.setRowCount(len(info.rows))
        for row, values in enumerate(info.rows):
            for column, value in enumerate(values):
                text = f"{value:.4g}" if isinstance(value, float) else str(value)
                self.features.setItem(row, column, QTableWidgetItem(text))
        self.features.resizeColumnsToContents()
        self.features.show()

    # --- for tests ------------------------------------------------------------------------
    def class_rows(self) -> list[tuple[str, ...]]:
        """The grid's text, row by row (class, counts...)."""
        table = self.table
        return [tuple(table.item(row, column).text() for column in range(table.columnCount())
                      if table.item(row, column) is not None)
                for row in range(table.rowCount())]
