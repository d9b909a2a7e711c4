"""Run, Pause/Resume, Stop, and a progress bar with phase, epoch and ETA."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout,
                               QWidget)

from workbench.core.measure.verdict import verdict
from workbench.core.stream.events import (EpochEnded, Event, PhaseProgress, RunEnded, RunPaused,
                                          StepEnded, ThreadsChanged)
from workbench.core.stream.progress import RunProgress, threads_changed_text
from workbench.core.stream.status import RunStatus

if TYPE_CHECKING:
    from workbench.gui.bridge import EventBridge


class ProgressPanel(QWidget):
    """Buttons that drive a run and a bar that follows it.

    Signals:
        run_requested, stop_requested: the buttons.
        pause_requested(bool): True to pause, False to resume.
        compare_requested: the verdict's "see Compare" link.
        note(str): a sentence for the status bar (a core taken mid-run).
    """

    compare_requested = Signal()
    note = Signal(str)
    run_requested = Signal()
    stop_requested = Signal()
    pause_requested = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.progress = RunProgress()
        self.run_button = QPushButton("▶ Run")
        self.run_button.setToolTip("Run the experiment (Ctrl+R)")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.stop_button = QPushButton("■ Stop")
        self.stop_button.setToolTip("Stop the run, keeping what it recorded (Esc)")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.label = QLabel("Ready")
        self.label.setMinimumWidth(200)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.verdict.setVisible(False)
        self.verdict.linkActivated.connect(lambda _link: self.compare_requested.emit())
        row = QHBoxLayout()
        for widget in (self.run_button, self.pause_button, self.stop_button):
            row.addWidget(widget)
        row.addWidget(self.bar, 1)
        row.addWidget(self.label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.verdict)
        self.run_button.clicked.connect(self.run_requested.emit)
        self.stop_button.clicked.connect(self.stop_requested.emit)
        self.pause_button.toggled.connect(self._on_pause)
        self.set_running(False)

    def _on_pause(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_requested.emit(paused)

    def set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        if not running:
            self.pause_button.blockSignals(True)
            self.pause_button.setChecked(False)
            self.pause_button.setText("Pause")
            self.pause_button.blockSignals(False)

    def subscribe(self, bridge: EventBridge) -> None:
        """Follow every run the bridge carries."""
        bridge.steps.connect(self.add_steps)
        bridge.event.connect(self.update_from)

    def add_steps(self, steps: Sequence[StepEnded]) -> None:
        """Count only: the progress model needs the latest step; the redraw timer paints."""
        if steps:
            self.progress.update(steps[-1])

    def start(self) -> None:
        self.progress = RunProgress()
        self.bar.setValue(0)
        self.label.setText("Loading data…")
        self.label.setToolTip("")
        self.verdict.setVisible(False)
        self.set_running(True)

    def update_from(self, event: Event) -> None:
        self.progress.update(event)
        if isinstance(event, ThreadsChanged):  # the label says "1 thread (a core was taken)"
            why = threads_changed_text(event)
            self.label.setToolTip(why)
            self.note.emit(why)  # the whole sentence, for the status bar
        if isinstance(event, RunPaused):
            self.label.setText("Paused" if event.paused else self.progress.describe())
            return
        if isinstance(event, RunEnded):
            self.label.setText(f"Run {event.status}")
            if event.status == RunStatus.COMPLETED:
                self.bar.setValue(1000)
            self.show_verdict(event.summary)
            return
        if not isinstance(event, (StepEnded, EpochEnded, PhaseProgress)):
            self.refresh()  # phase changes show at once; the redraw timer paces the rest

    def refresh(self) -> None:
        """Redraw bar and text (called on events and by the window's redraw timer)."""
        if self.progress.finished or not self.progress.total_steps:
            return
        self.bar.setValue(int(self.progress.fraction * 1000))
        if not self.pause_button.isChecked():
            self.label.setText(self.progress.describe())

    def show_verdict(self, summary: Mapping[str, Any]) -> None:
        """What the run achieved, in one line, with a link to the Compare tab."""
        line = verdict(summary)
        if line is not None:
            self.verdict.setText(f"{line} · <a href='compare'>see Compare</a>")
        self.verdict.setVisible(line is not None)
