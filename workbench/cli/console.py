"""Console progress: a one-line bar with phase and ETA on a terminal, plain lines otherwise.

Just another consumer of the engine's events, like the run store and the Qt bridge.
"""
from __future__ import annotations

import math
import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO

from workbench.core.measure.energy import describe_energy
from workbench.core.measure.tables import machines, summary_rows, to_text
from workbench.core.measure.verdict import verdict
from workbench.core.stream.events import (EpochEnded, Event, PhaseEnded, PhaseProgress,
                                          PhaseStarted, RunEnded, RunPaused, RunStarted,
                                          StepEnded, ThreadsChanged)
from workbench.core.stream.progress import (PHASE_LABELS, RunProgress, format_duration,
                                            threads_changed_text)


class ConsoleReporter:
    """Progress on ``stream`` (stderr); redraws the bar at most ``rate`` times a second.

    Run-level progress and ETA come from ``RunProgress``, the same model the window uses.
    """

    def __init__(self, stream: TextIO | None = None, rate: float = 10.0,
                 interactive: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.min_interval = 1.0 / rate
        self.progress = RunProgress()
        self._last_draw = 0.0
        self._loss = float("nan")

    def __call__(self, event: Event) -> None:
        self.progress.update(event)
        if isinstance(event, RunStarted):
            self._print(f"run {event.run_id} on {event.device} (seed {event.seed})")
        elif isinstance(event, PhaseStarted):
            self._loss = float("nan")
        elif isinstance(event, (StepEnded, PhaseProgress)):
            if isinstance(event, StepEnded):
                self._loss = event.loss
            now = time.perf_counter()
            if self.interactive and now - self._last_draw >= self.min_interval:
                self._last_draw = now
                self._draw()
            elif not self.interactive and isinstance(event, PhaseProgress):
                self._quarter_line(event)
        elif isinstance(event, EpochEnded):
            self._print(self._epoch_line(event))
        elif isinstance(event, PhaseEnded):
            extra = f" ({event.metrics['origin']})" if "origin" in event.metrics else ""
            shard = self.progress.shard
            if event.phase == "cache" and shard is not None and shard.images_per_s > 0:
                extra += f", {shard.images:,} images at {shard.images_per_s:,.0f} images/s"
            label = PHASE_LABELS.get(event.phase, event.phase)
            self._print(f"{label}: done in {format_duration(event.seconds)}{extra}")
        elif isinstance(event, RunPaused):
            self._print("paused" if event.paused else "resumed")
        elif isinstance(event, ThreadsChanged):
            self._print(threads_changed_text(event))
        elif isinstance(event, RunEnded):
            self._print(f"run {event.status}" + (f": {event.error}" if event.error else ""))

    def _quarter_line(self, event: PhaseProgress) -> None:
        """Piped output: one line at each quarter of the shards, not one per shard."""
        if not event.shards or event.step >= event.shards:
            return
        if 4 * event.step // event.shards > 4 * (event.step - 1) // event.shards:
            self._print(self.progress.describe())

    def _draw(self) -> None:
        fraction = self.progress.fraction
        filled = int(fraction * 24)
        line = (f"[{'#' * filled}{'-' * (24 - filled)}] {100 * fraction:3.0f}%  "
                f"{self.progress.describe()}"
                + (f"  loss {self._loss:.4f}" if math.isfinite(self._loss) else ""))
        self.stream.write("\r" + line[:100].ljust(100))
        self.stream.flush()

    def _epoch_line(self, event: EpochEnded) -> str:
        shown = ("train_loss", "train_acc", "val_loss", "val_acc")
        parts = [f"{key} {event.metrics[key]:.4f}" for key in shown if key in event.metrics]
        epochs = self.progress.epochs.get(event.phase, 0)
        eta = self.progress.eta_seconds()
        return (f"{event.phase} epoch {event.epoch}/{epochs}: " + "  ".join(parts)
                + (f"  ({format_duration(eta)} left)" if eta else ""))

    def _print(self, text: str) -> None:
        if self.interactive:
            self.stream.write("\r" + " " * 100 + "\r")
        self.stream.write(text + "\n")
        self.stream.flush()


def print_result(summary: Mapping[str, Any], stream: TextIO | None = None) -> None:
    """The end of a headless run: the verdict line and the rows `workbench compare` prints."""
    stream = stream or sys.stdout
    rows = summary_rows(str(summary.get("run_id", "")), summary)
    if not rows:
        return
    line = verdict(summary)
    if line is not None:
        print(line, file=stream)
    print(to_text(rows), file=stream)
    for machine in machines(rows):
        print(f"machine: {machine}", file=stream)
    energy = describe_energy(summary.get("energy"))
    if energy is not None:
        print(energy, file=stream)
