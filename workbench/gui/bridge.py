"""The only place where engine events cross from the training thread into Qt.

The window creates one ``EventBridge`` for its whole life; every run's worker
calls it like any other consumer (in the training thread) and panels subscribe
to its signals once. The bridge object lives in the GUI thread, so connections
to GUI widgets are queued. Per-step events are batched and emitted at most
every ``interval`` seconds so a fast loop cannot flood the GUI's event queue;
any other event flushes the batch first, which keeps the order of events
intact, and ``RunEnded`` always flushes, so no run leaks steps into the next.
"""
from __future__ import annotations

import time

from PySide6.QtCore import QObject, Signal

from workbench.core.stream.events import Event, RunEnded, RunStarted, StepEnded


class EventBridge(QObject):
    """Engine consumer -> Qt signals.

    Signals:
        steps: a list of ``StepEnded`` events, in order.
        event: any other engine event (RunStarted, EpochEnded, RunEnded...).
        run_started: the ``RunStarted`` event (after ``event`` carried it).
        run_ended: the ``RunEnded`` event (after ``event`` carried it).
    """

    steps = Signal(object)
    event = Signal(object)
    run_started = Signal(object)
    run_ended = Signal(object)

    def __init__(self, interval: float = 0.25, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval = interval
        self._pending: list[StepEnded] = []
        self._last_flush = 0.0

    def __call__(self, event: Event) -> None:
        """Called by the engine, in the training thread."""
        if isinstance(event, StepEnded):
            self._pending.append(event)
            now = time.monotonic()
            if now - self._last_flush >= self.interval:
                self._flush(now)
            return
        self._flush(time.monotonic())
        self.event.emit(event)
        if isinstance(event, RunStarted):
            self.run_started.emit(event)
        elif isinstance(event, RunEnded):
            self.run_ended.emit(event)

    def _flush(self, now: float) -> None:
        self._last_flush = now
        if self._pending:
            batch, self._pending = self._pending, []
            self.steps.emit(batch)
