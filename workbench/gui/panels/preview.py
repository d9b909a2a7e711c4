"""Soft-label preview: a test image and the teacher's probabilities at T = 1 and at T.

Loading the teacher and one forward pass run in a QThreadPool job (torch limited
to one thread there, see core.preview); moving T only recomputes a softmax of
the cached logits in the GUI thread.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from workbench.core.config.section import Section
from workbench.core.distill.offline import KD_PARAMS
from workbench.core.measure.soft_label_preview import (PreviewSample, TeacherPreview, can_preview,
                                                       softmax_at)
from workbench.core.presets.model import ModelPreset
from workbench.gui import theme
from workbench.gui.panels.param_form import declared
from workbench.gui.panels.dataset_view import to_qimage

NO_WEIGHTS_NOTE = ("The teacher is trained during the run, so there are no soft labels to "
                   "preview yet. Pick a teacher with weights to see what T does.")


class _Signals(QObject):
    done = Signal(int, object, object)  # request id, TeacherPreview | None, sample | error text


class _PreviewJob(QRunnable):
    def __init__(self, request: int, loader: TeacherPreview | None, teacher: ModelPreset,
                 data: Section, index: int, signals: _Signals, hard: bool = False) -> None:
        super().__init__()
        self.request, self.loader, self.teacher = request, loader, teacher
        self.data, self.index, self.signals, self.hard = data, index, signals, hard

    def run(self) -> None:
        try:
            loader = self.loader or TeacherPreview(self.teacher, self.data, threads=1)
            index = loader.hard_index(self.index) if self.hard else self.index
            self.signals.done.emit(self.request, loader, loader.sample(index))
        except Exception as error:  # noqa: BLE001 - shown as a note, never a traceback
            self.signals.done.emit(self.request, None, f"{type(error).__name__}: {error}")


class PreviewPanel(QWidget):
    """What the teacher says about one image, softened by the current temperature."""

    updated = Signal()  # bars redrawn (tests wait on it)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._signals = _Signals(self)
        self._signals.done.connect(self._on_done)
        self._request = 0
        self._loader: TeacherPreview | None = None
        self._loader_key: tuple | None = None
        self._teacher: ModelPreset | None = None
        self._data: Section | None = None
        self.sample: PreviewSample | None = None
        self.temperature = float(declared(KD_PARAMS, "temperature").default)
        self.origin = ""
        self.index = 0
        self.probabilities = np.zeros(0)
        self.image = QLabel()
        self.image.setFixedSize(84, 84)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("font-size: 11px;")
        self.note = QLabel(NO_WEIGHTS_NOTE)
        self.note.setWordWrap(True)
        self.next_button = QPushButton("Another sample")
        self.next_button.clicked.connect(self.next_sample)
        self.hard_button = QPushButton("One the teacher finds hard")
        self.hard_button.setToolTip("The least certain of the next 256 test images: where "
                                    "soft labels say the most")
        self.hard_button.clicked.connect(self.hard_sample)
        self.legend = QLabel()  # above the bars, so it never covers the tallest one
        self.legend.setStyleSheet("font-size: 11px;")
        self.plot = pg.PlotWidget()
        self.plot.setFixedHeight(210)  # its own size hint (480 px) would push the panel into a scroll
        item = self.plot.getPlotItem()
        item.setXRange(0, 1, padding=0.02)
        item.invertY(True)  # the first class on top, as people read a list
        theme.plain_axes(item)
        item.setLabel("bottom", "teacher probability")
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        self.bars_t1 = pg.BarGraphItem(x0=[], y=[], width=[], height=0.4,
                                       brush=theme.brush("front"), name="T = 1")
        self.bars_t = pg.BarGraphItem(x0=[], y=[], width=[], height=0.4,
                                      brush=theme.brush("teacher"),
                                      name=f"T = {self.temperature:g}")
        item.addItem(self.bars_t1)
        item.addItem(self.bars_t)
        self._build_layout()
        self._show_note(NO_WEIGHTS_NOTE)

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.image)
        side = QVBoxLayout()
        side.addWidget(self.caption)
        side.addWidget(self.next_button)
        side.addWidget(self.hard_button)
        side.addStretch(1)
        top.addLayout(side, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.note)
        layout.addLayout(top)
        layout.addWidget(self.legend)
        layout.addWidget(self.plot, 1)

    # --- inputs ---------------------------------------------------------------------------
    def set_teacher(self, teacher: ModelPreset | None, data: Section | None,
                    origin: str = "") -> None:
        """Show a new teacher's view (or the note when it has no weights).

        Args:
            origin: where the weights came from, when not from the preset itself.
        """
        self._teacher, self._data, self.origin = teacher, data, origin
        if teacher is None or data is None or not can_preview(teacher):
            self._request += 1  # drop any job in flight
            self.sample = None
            self._show_note(NO_WEIGHTS_NOTE)
            return
        key = (str(teacher.weights), teacher.architecture, str(dict(data)))
        if key != self._loader_key:
            self._loader, self._loader_key = None, key
        self._start_job()

    def refuse(self, reason: str) -> None:
        """No preview: the teacher does not fit the dataset (its labels would mislead)."""
        self._teacher, self._data = None, None
        self._request += 1  # drop any job in flight
        self.sample = None
        self._show_note(f"No preview: {reason}")

    def set_temperature(self, temperature: float) -> None:
        self.temperature = float(temperature)
        self._draw()

    def next_sample(self) -> None:
        self.index += 1
        if self._teacher is not None and can_preview(self._teacher):
            self._start_job()

    def hard_sample(self) -> None:
        """Jump to an image the teacher is unsure of (the next ones after the current)."""
        if self._teacher is not None and can_preview(self._teacher):
            self._start_job(hard=True, start=self.index + 1)

    def _start_job(self, hard: bool = False, start: int | None = None) -> None:
        self._request += 1
        self.caption.setText("loading the teacher…" if self._loader is None else self.caption.text())
        self.pool.start(_PreviewJob(self._request, self._loader, self._teacher, self._data,
                                    self.index if start is None else start, self._signals, hard))

    def _on_done(self, request: int, loader: TeacherPreview | None, result: object) -> None:
        if request != self._request:
            return  # a newer request superseded this one
        if loader is None or not isinstance(result, PreviewSample):
            self._show_note(f"No preview: {str(result).splitlines()[0]}")
            return
        self._loader, self.sample = loader, result
        self.index = result.index  # "Another sample" goes on from here
        self.note.hide()
        for widget in (self.image, self.caption, self.next_button, self.hard_button,
                       self.legend, self.plot):
            widget.show()
        self._show_image(result.image)
        self._draw()

    # --- drawing --------------------------------------------------------------------------
    def _show_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.show()
        for widget in (self.image, self.caption, self.next_button, self.hard_button,
                       self.legend, self.plot):
            widget.hide()

    def _show_image(self, image: np.ndarray | None) -> None:
        """Grayscale or colour (HxW, CxHxW, HxWxC); feature vectors have no image."""
        if image is None or np.ndim(image) not in (2, 3):
            self.image.hide()
            return
        qimage = to_qimage(image)
        self.image.setPixmap(QPixmap.fromImage(qimage).scaled(
            84, 84, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation))

    def _draw(self) -> None:
        sample = self.sample
        if sample is None:
            return
        count = len(sample.classes)
        positions = np.arange(count, dtype=float)
        self.probabilities = softmax_at(sample.logits, self.temperature)
        zeros = np.zeros(count)
        self.bars_t1.setOpts(x0=zeros, y=positions - 0.2, width=softmax_at(sample.logits, 1.0))
        self.bars_t.setOpts(x0=zeros, y=positions + 0.2, width=self.probabilities)
        self.legend.setText(f"<span style='color:{theme.COLORS['front']}'>■</span> T = 1 &nbsp; "
                            f"<span style='color:{theme.COLORS['teacher']}'>■</span> "
                            f"T = {self.temperature:g}")
        ticks = [(i, name[:14]) for i, name in enumerate(sample.classes)]
        item = self.plot.getPlotItem()
        item.getAxis("left").setTicks([ticks])
        item.setYRange(-0.6, count - 0.4, padding=0)
        truth, guess = sample.classes[sample.label], sample.classes[sample.predicted]
        origin = f"\n({self.origin})" if self.origin else ""
        self.caption.setText(f"Test image #{sample.index}\ntrue: {truth}\n"
                             f"teacher says: {guess}{origin}")
        self.updated.emit()
