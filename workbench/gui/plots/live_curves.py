"""Live training curves: loss per step and accuracy per epoch (α and T under the loss).

Curves are created once; events only append to numpy buffers, and a timer
(at most 20 Hz) pushes buffers that changed into their curves. Peak
downsampling and clip-to-view keep long runs cheap without hiding spikes.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from workbench.core.stream.events import (EpochEnded, Event, PhaseEnded, PhaseStarted,
                                          RunEnded, RunStarted, StepEnded)
from workbench.gui import theme
from workbench.gui.plots.buffers import GrowingSeries
from workbench.gui.plots.export import ask_and_export
from workbench.gui.plots.teaching_curve import TeachingCurves

if TYPE_CHECKING:
    from workbench.gui.bridge import EventBridge

REDRAW_MS = 250  # at most 4 Hz: live enough; each redraw competes with training for the GIL
MAX_REDRAW_MS = 1000
REDRAW_BUDGET = 0.04  # share of the GUI thread's time that drawing curves may take
NOT_TRAINING = ("cache", "benchmark")  # phases without per-step losses
EXTRA_COLORS = ("#0072B2", "#F0E442", "#999999", "#882255", "#44AA99", "#117733")

# key -> (legend name, colour role, dashed)
LOSS_CURVES = {
    "teacher:loss": ("teacher loss", "teacher", False),
    "student:loss": ("student total", "student", False),
    "student:hard": ("student hard (CE)", "hard", False),
    "student:soft": ("student soft (KL)", "soft", False),
    "baseline:loss": ("baseline loss", "baseline", False),
}
ACCURACY_CURVES = {
    "teacher:val_acc": ("teacher val", "teacher", False),
    "student:train_acc": ("student train", "student", True),
    "student:val_acc": ("student val", "student", False),
    "baseline:train_acc": ("baseline train", "baseline", True),
    "baseline:val_acc": ("baseline val", "baseline", False),
}


LOSS_PEN_WIDTH = 1.0  # thousands of points: a 1 px pen draws ~2x faster than a wider one


def make_plot(title: str, x_label: str, y_label: str, x_grid: bool = True) -> pg.PlotWidget:
    """A live plot. Grid lines at major ticks only: with pyqtgraph's minor-tick grid a
    repaint of the loss plot cost ~5x more GUI-thread time (measured under Xvfb)."""
    widget = pg.PlotWidget(title=title)
    item = widget.getPlotItem()
    item.setLabel("bottom", x_label)
    item.setLabel("left", y_label)
    item.showGrid(x=x_grid, y=True, alpha=0.2)
    for name in ("left", "bottom"):
        item.getAxis(name).setStyle(maxTickLevel=0)
    item.setDownsampling(mode="peak", auto=True)
    item.setClipToView(True)
    theme.plain_axes(item)
    return widget


class LiveCurves(QWidget):
    """The Train tab's plots, fed by bridge signals."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # the loss plot repaints several times a second: phase markers stand in for an x grid
        self.loss_plot = make_plot("Loss per step", "step (whole run)", "loss", x_grid=False)
        self.accuracy_plot = make_plot("Accuracy per epoch", "epoch", "accuracy")
        self.loss_plot.getPlotItem().addLegend(offset=(-10, 10), labelTextSize="8pt")
        self.accuracy_plot.getPlotItem().addLegend(offset=(-10, -10), labelTextSize="8pt")
        # Accuracy follows the curves (Fashion's 0.81-0.87 is not squashed), never beyond 0-1.
        self.accuracy_plot.getPlotItem().setLimits(yMin=-0.02, yMax=1.02)
        self.accuracy_plot.getPlotItem().enableAutoRange(y=True)
        self.hint = pg.TextItem("Press ▶ Run (Ctrl+R): the loss of every step appears here,\n"
                                "accuracy per epoch on the right.", anchor=(0.5, 0.5),
                                color=theme.text_color())
        self.hint.setPos(0.5, 0.5)
        self.loss_plot.addItem(self.hint)
        self.series: dict[str, GrowingSeries] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        for key, (name, role, dashed) in {**LOSS_CURVES, **ACCURACY_CURVES}.items():
            self._add_curve(key, name, role, dashed)
        self.teacher_line = pg.InfiniteLine(angle=0, movable=False,
                                            pen=theme.pen("teacher", 1, dashed=True),
                                            label="", labelOpts={"position": 0.75, "anchors": [(0.5, 1), (0.5, 1)],
                                                                 "color": theme.COLORS["teacher"]})
        self.teacher_line.setVisible(False)
        self.accuracy_plot.addItem(self.teacher_line)
        self._phase_lines: list[pg.InfiniteLine] = []
        self._global_step = 0
        self.teaching = TeachingCurves(self.loss_plot)
        # phase -> (global step where it started, steps per epoch, phases started with it)
        self._origins: dict[str, tuple[int, int, int]] = {}
        self.smooth = QCheckBox("Smooth loss (EMA 0.9)")
        self.smooth.toggled.connect(self._redraw_all)
        self.log_y = QCheckBox("Log scale")
        self.log_y.toggled.connect(lambda on: self.loss_plot.getPlotItem().setLogMode(y=on))
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self.redraw)
        self._build_layout()

    def _add_curve(self, key: str, name: str, role: str, dashed: bool) -> None:
        is_loss = not key.endswith("_acc")
        plot = self.loss_plot if is_loss else self.accuracy_plot
        width = LOSS_PEN_WIDTH if is_loss else 1.5
        self.curves[key] = plot.plot([], [], name=name, pen=theme.pen(role, width, dashed),
                                     symbol=None if is_loss else "o", symbolSize=5,
                                     symbolBrush=theme.brush(role), symbolPen=None)
        self.series[key] = GrowingSeries()

    def _series(self, phase: str, metric: str) -> GrowingSeries:
        """The buffer of a curve, created on first use for phases a method adds
        (``peer-2``, ``gen-0``...), so a new method needs no change here."""
        key = f"{phase}:{metric}"
        if key not in self.series:
            extra = sorted({k.split(":")[0] for k in self.series} - {"teacher", "student",
                                                                     "baseline"})
            index = extra.index(phase) if phase in extra else len(extra)
            label = {"loss": "loss", "train_acc": "train", "val_acc": "val"}.get(metric, metric)
            self._add_curve(key, f"{phase} {label}", EXTRA_COLORS[index % len(EXTRA_COLORS)],
                            metric == "train_acc")
        return self.series[key]

    def _build_layout(self) -> None:
        controls = QHBoxLayout()
        controls.addWidget(self.smooth)
        controls.addWidget(self.log_y)
        controls.addStretch(1)
        for label, plot, name in (("Export loss…", self.loss_plot, "loss"),
                                  ("Export accuracy…", self.accuracy_plot, "accuracy")):
            button = QPushButton(label)
            button.clicked.connect(lambda _=False, p=plot, n=name:
                                   ask_and_export(self, p.getPlotItem(), n))
            controls.addWidget(button)
        loss_column = QVBoxLayout()
        loss_column.setSpacing(0)
        loss_column.addWidget(self.loss_plot, 1)
        loss_column.addWidget(self.teaching)
        plots = QHBoxLayout()
        plots.addLayout(loss_column, 3)
        plots.addWidget(self.accuracy_plot, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addLayout(plots, 1)

    # --- feeding -----------------------------------------------------------------------
    def subscribe(self, bridge: EventBridge) -> None:
        """Follow every run the bridge carries."""
        bridge.steps.connect(self.add_steps)
        bridge.event.connect(self.add_event)

    def reset(self) -> None:
        for series in self.series.values():
            series.clear()
        for line in self._phase_lines:
            self.loss_plot.removeItem(line)
        self._phase_lines.clear()
        self._global_step = 0
        self._origins.clear()
        self.teaching.reset()
        self.teacher_line.setVisible(False)
        for item in (self.loss_plot.getPlotItem(), self.accuracy_plot.getPlotItem()):
            item.enableAutoRange(x=True)
        self.redraw(force=True)

    def add_steps(self, steps: Sequence[StepEnded]) -> None:
        """Buffer a batch of steps: one bulk append per curve, not one per point.

        Each step gets the next x; peers interleaved in one batch keep their positions.
        """
        by_phase: dict[str, list[int]] = {}
        for index, step in enumerate(steps):
            by_phase.setdefault(step.phase, []).append(index)
        xs = np.arange(self._global_step + 1, self._global_step + 1 + len(steps),
                       dtype=np.float64)
        self._global_step += len(steps)
        for phase, indices in by_phase.items():
            x = xs if len(indices) == len(steps) else xs[indices]
            phase_steps = [steps[index] for index in indices]
            self._series(phase, "loss").extend(x, [step.loss for step in phase_steps])
            if phase == "student":
                self.series["student:hard"].extend(x, [step.hard for step in phase_steps])
                self.series["student:soft"].extend(x, [step.soft for step in phase_steps])

    def add_event(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.hint.setVisible(False)
            self.reset()
            self._fix_step_range(event)
            self.timer.start(REDRAW_MS)
        elif isinstance(event, PhaseStarted) and event.phase not in NOT_TRAINING:
            self._mark_phase(event.phase)
            self._note_origin(event)
        elif isinstance(event, EpochEnded):
            self._add_teaching(event)
            for metric in ("train_acc", "val_acc"):
                if metric in event.metrics and (event.phase, metric) != ("teacher", "train_acc"):
                    self._series(event.phase, metric).append(float(event.epoch),
                                                             float(event.metrics[metric]))
        elif isinstance(event, PhaseEnded) and event.phase == "teacher":
            self._show_teacher(event.metrics.get("best_val_acc"), "teacher val")
        elif isinstance(event, RunEnded):
            teacher = (event.summary.get("models") or {}).get("teacher") or {}
            self._show_teacher(teacher.get("accuracy"), "teacher test")
            self.timer.stop()
            self.redraw(force=True)

    def _fix_step_range(self, event: RunStarted) -> None:
        """The x axis spans the whole run's steps from the start: no x autorange per frame."""
        total = sum(p.epochs * p.steps_per_epoch for p in event.plan
                    if p.phase not in NOT_TRAINING)
        item = self.loss_plot.getPlotItem()
        item.enableAutoRange(x=False)
        item.setXRange(0, max(total, 1), padding=0.01)
        epochs = max((p.epochs for p in event.plan if p.phase not in NOT_TRAINING), default=1)
        accuracy = self.accuracy_plot.getPlotItem()
        accuracy.enableAutoRange(x=False)
        accuracy.setXRange(1, max(epochs, 2), padding=0.03)
        step = max(1, epochs // 10)  # whole epochs on the axis, never "1.5"
        accuracy.getAxis("bottom").setTickSpacing(step * 5, step)

    def _note_origin(self, event: PhaseStarted) -> None:
        """Where a phase's steps begin on the x axis; peers started together interleave."""
        together = [phase for phase, origin in self._origins.items()
                    if origin[0] == self._global_step]
        group = len(together) + 1
        for phase in together:
            start, steps, _ = self._origins[phase]
            self._origins[phase] = (start, steps, group)
        self._origins[event.phase] = (self._global_step, event.steps_per_epoch, group)

    def _add_teaching(self, event: EpochEnded) -> None:
        """α and T of the epoch's last step, at that step's x (the first model of a group)."""
        if event.phase not in self._origins or "alpha" not in event.metrics:
            return
        start, steps, group = self._origins[event.phase]
        x = float(start + event.epoch * steps * group)
        if x not in self.teaching.series["alpha"].view(False)[0]:  # peers share one point
            self.teaching.add(x, event.metrics)

    def _mark_phase(self, phase: str) -> None:
        last = self._phase_lines[-1] if self._phase_lines else None
        if last is not None and last.value() == self._global_step + 0.5:
            label = f"{last.label.format}, {phase}"  # peers start together: one marker
            last.label.setFormat(label)
            return
        line = pg.InfiniteLine(pos=self._global_step + 0.5, angle=90, movable=False,
                               pen=theme.pen("front", 1, dashed=True), label=phase,
                               labelOpts={"position": 0.95, "color": theme.COLORS["front"]})
        self.loss_plot.addItem(line)
        self._phase_lines.append(line)

    def _show_teacher(self, accuracy: float | None, what: str) -> None:
        if accuracy is None:
            return
        self.teacher_line.setValue(float(accuracy))
        self.teacher_line.setVisible(True)  # first: a hidden label ignores new text
        self.teacher_line.label.setFormat(f"{what} {accuracy:.1%}")

    # --- drawing -----------------------------------------------------------------------
    def redraw(self, force: bool = False) -> None:
        """Push changed buffers into their curves (called by the timer).

        Skipped while the plots are hidden (another tab is shown); the buffers
        stay dirty, so the next visible redraw catches up.
        """
        if not force and not self.isVisible() and self.timer.isActive():
            return
        smoothed = self.smooth.isChecked()
        started = time.perf_counter()
        changed: set[pg.PlotWidget] = set()
        for key, series in self.series.items():
            if series.take_dirty():
                self.curves[key].setData(*series.view(smoothed and key in LOSS_CURVES))
                changed.add(self.accuracy_plot if key.endswith("_acc") else self.loss_plot)
        if self.teaching.redraw():
            changed.add(self.teaching)
        if changed and self.timer.isActive():
            self._pace(started, changed)

    def _pace(self, started: float, plots: set[pg.PlotWidget]) -> None:
        """Paint now and stretch the timer so drawing stays within its budget.

        A redraw that got slow (long curves, a busy CPU, the training thread holding
        the GIL) makes the next one come later instead of stalling the window.
        """
        for plot in plots:
            plot.viewport().repaint()  # the scene is drawn in the viewport, synchronously
        cost_ms = (time.perf_counter() - started) * 1000.0
        interval = int(min(MAX_REDRAW_MS, max(REDRAW_MS, cost_ms / REDRAW_BUDGET)))
        if abs(interval - self.timer.interval()) > 10:
            self.timer.setInterval(interval)

    def _redraw_all(self) -> None:
        for series in self.series.values():
            series.dirty = True
        self.redraw()

    def point_count(self, key: str) -> int:
        """Points a curve currently shows (what tests check)."""
        x_data = self.curves[key].xData
        return 0 if x_data is None else int(len(x_data))
