"""The Green tab: a run's energy bill as a chart, and distil vs train from labels.

Everything shown is computed by core.green.lifecycle from the run's summary and
its per-epoch validation accuracy (heard live from the bridge, or read back from
a reopened run's metrics); this panel only lays it out.
"""
from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from workbench.core.green.lifecycle import (TABLE_LINES, LifecycleError, energy_chart_data,
                                            lifecycle, lifecycle_lines, val_histories)
from workbench.core.runs.history import read_curves
from workbench.core.runs.store import RunInfo
from workbench.core.stream.events import EpochEnded, RunEnded, RunStarted
from workbench.gui.plots.energy_chart import EnergyChart

if TYPE_CHECKING:
    from workbench.gui.bridge import EventBridge

EMPTY = ("Run an experiment (with its baseline) to see its energy bill and whether "
         "distilling was cheaper than training the student from labels. "
         "Headless: workbench green PRESET.")


class GreenPanel(QWidget):
    """The Green tab."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(EMPTY)
        self.title.setWordWrap(True)
        self.answer = QLabel()  # the small table: fixed-width, never wider than ~70 columns
        self.answer.setTextFormat(Qt.TextFormat.RichText)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes = QLabel()  # prose: wraps, so a long line never widens the window
        self.notes.setWordWrap(True)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.chart = EnergyChart()
        self.lines: list[str] = []
        self._epochs: dict[str, list[dict[str, float]]] = {}  # the live run's, per phase
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.answer)
        layout.addWidget(self.notes)
        layout.addWidget(self.chart, 1)

    def subscribe(self, bridge: EventBridge) -> None:
        bridge.event.connect(self.on_event)

    def on_event(self, event: Any) -> None:
        if isinstance(event, RunStarted):
            self._epochs = {}
        elif isinstance(event, EpochEnded):
            self._epochs.setdefault(event.phase, []).append(dict(event.metrics))
        elif isinstance(event, RunEnded) and event.summary.get("models"):
            self.show_summary(event.summary, self._epochs)

    def show_runs(self, runs: Sequence[RunInfo]) -> None:
        """A reopened run (the first with results): its summary and its recorded epochs."""
        for run in runs:
            if run.summary.get("models"):
                self.show_summary(run.summary, read_curves(run.path).epochs)
                return

    def show_summary(self, summary: Mapping[str, Any],
                     epochs: Mapping[str, Sequence[Mapping[str, float]]]) -> None:
        self.chart.set_bars(*energy_chart_data(summary))
        bill = summary.get("energy") or {}
        self.title.setText(f"<b>{html.escape(str(summary.get('name', '')))}</b> · run "
                           f"{html.escape(str(summary.get('run_id', '')))} · energy by "
                           f"{html.escape(str(bill.get('method', 'nothing: an older run')))}")
        try:
            self.lines = lifecycle_lines(lifecycle(summary, val_histories(epochs)))
            table, notes = self.lines[:TABLE_LINES], self.lines[TABLE_LINES:]
        except LifecycleError as error:
            self.lines = [f"Distil vs train from labels: {error}"]
            table, notes = [], self.lines
        self.answer.setText("<pre>" + html.escape("\n".join(table)) + "</pre>" if table else "")
        self.answer.setVisible(bool(table))
        self.notes.setText(" ".join(notes))
