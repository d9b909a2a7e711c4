"""Console progress: a one-line bar with phase and ETA on a terminal, plain lines otherwise.

Just another consumer of the engine's events, like the run store and the Qt bridge.
"""
from __future__ import annotations

import math
import sys
import time
from typing import TextIO

from workbench.core.engine.events import (EpochEnded, Event, PhaseEnded, PhaseProgress,
                                          PhaseStarted, RunEnded, RunPaused, RunStarted,
                                          StepEnded)

PHASE_LABELS = {"teacher": "teacher", "cache": "caching teacher outputs", "student": "student",
                "baseline": "baseline", "benchmark": "benchmark"}


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ConsoleReporter:
    """Progress on ``stream`` (stderr); redraws the bar at most ``rate`` times a second."""

    def __init__(self, stream: TextIO | None = None, rate: float = 10.0,
                 interactive: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.min_interval = 1.0 / rate
        self._phase = ""
        self._epochs = self._steps_per_epoch = 0
        self._phase_started = self._last_draw = 0.0
        self._step = 0
        self._loss = float("nan")

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._print(f"run {event.run_id} on {event.device} (seed {event.seed})")
        elif isinstance(event, PhaseStarted):
            self._phase, self._epochs = event.phase, event.epochs
            self._steps_per_epoch, self._step = event.steps_per_epoch, 0
            self._loss = float("nan")
            self._phase_started = time.perf_counter()
        elif isinstance(event, StepEnded):
            self._step, self._loss = event.step, event.loss
            now = time.perf_counter()
            if self.interactive and now - self._last_draw >= self.min_interval:
                self._last_draw = now
                self._draw(event.epoch)
        elif isinstance(event, PhaseProgress):
            self._step = event.step
            now = time.perf_counter()
            if self.interactive and now - self._last_draw >= self.min_interval:
                self._last_draw = now
                self._draw(1)
        elif isinstance(event, EpochEnded):
            self._print(self._epoch_line(event))
        elif isinstance(event, PhaseEnded):
            extra = f" ({event.metrics['origin']})" if "origin" in event.metrics else ""
            self._print(f"{PHASE_LABELS.get(event.phase, event.phase)} done in "
                        f"{format_duration(event.seconds)}{extra}")
        elif isinstance(event, RunPaused):
            self._print("paused" if event.paused else "resumed")
        elif isinstance(event, RunEnded):
            self._print(f"run {event.status}" + (f": {event.error}" if event.error else ""))

    def eta(self) -> float | None:
        """Seconds left in the current phase, from its average step time so far."""
        total = self._epochs * self._steps_per_epoch
        if not self._step or not total:
            return None
        elapsed = time.perf_counter() - self._phase_started
        return elapsed / self._step * (total - self._step)

    def _draw(self, epoch: int) -> None:
        total = max(1, self._epochs * self._steps_per_epoch)
        fraction = min(1.0, self._step / total)
        filled = int(fraction * 24)
        eta = self.eta()
        line = (f"{self._phase:<9} epoch {epoch}/{self._epochs} [{'#' * filled}"
                f"{'-' * (24 - filled)}] {100 * fraction:3.0f}%"
                + (f"  loss {self._loss:.4f}" if math.isfinite(self._loss) else "")
                + (f"  ETA {format_duration(eta)}" if eta is not None else ""))
        self.stream.write("\r" + line.ljust(78))
        self.stream.flush()

    def _epoch_line(self, event: EpochEnded) -> str:
        shown = ("train_loss", "train_acc", "val_loss", "val_acc")
        parts = [f"{key} {event.metrics[key]:.4f}" for key in shown if key in event.metrics]
        eta = self.eta()
        return (f"{event.phase} epoch {event.epoch}/{self._epochs}: " + "  ".join(parts)
                + (f"  (phase ETA {format_duration(eta)})" if eta else ""))

    def _print(self, text: str) -> None:
        if self.interactive:
            self.stream.write("\r" + " " * 78 + "\r")
        self.stream.write(text + "\n")
        self.stream.flush()
