"""α and T schedules: the distillation weights moved over the student's optimizer steps.

A schedule maps the fit's progress f (0 at the first step, 1 at the last; see
``data.batches.Progress``) to a value between ``start`` and ``end``:

    constant  start                                (end is ignored)
    linear    start + (end - start) * f
    cosine    end + (start - end) * (1 + cos(pi f)) / 2   (slow at both ends)
    step      start + (end - start) * floor(STAGES f) / (STAGES - 1)

``step`` moves in STAGES equal stages of the fit, with evenly spaced values: the first
stage uses ``start``, the last ``end``. It is a pure function of the step, so a
resumed fit sees the same values as an uninterrupted one.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from workbench.core.config.params import Param
from workbench.core.data.batches import Progress

SCHEDULES = ("constant", "linear", "cosine", "step")
STAGES = 4  # the 'step' schedule's equal stages

SCHEDULE_PARAMS = (
    Param("schedule", "str", "constant", "how alpha and T move from their start to their end "
          "value over the student's optimizer steps", choices=SCHEDULES),
    Param("alpha_end", "float", None, "alpha at the last step (null = alpha: no change)",
          minimum=0.0, maximum=1.0, nullable=True),
    Param("temperature_end", "float", None, "T at the last step (null = temperature: no "
          "change)", minimum=0.0, exclusive_minimum=True, maximum=100.0, nullable=True),
)


def scheduled(kind: str, start: float, end: float, fraction: float) -> float:
    """The value of schedule ``kind`` at ``fraction`` (clamped to 0..1) of the fit."""
    fraction = min(1.0, max(0.0, fraction))
    if kind == "constant" or start == end:
        return start
    if kind == "linear":
        return start + (end - start) * fraction
    if kind == "cosine":
        return end + (start - end) * (1.0 + math.cos(math.pi * fraction)) / 2.0
    if kind == "step":
        stage = min(STAGES - 1, math.floor(STAGES * fraction))
        return start + (end - start) * stage / (STAGES - 1)
    raise ValueError(f"unknown schedule {kind!r} (known: {', '.join(SCHEDULES)})")


@dataclass(frozen=True)
class Schedule:
    """α and T over a fit; ``at(fraction)`` gives both."""

    kind: str = "constant"
    alpha: float = 0.5
    temperature: float = 4.0
    alpha_end: float | None = None
    temperature_end: float | None = None

    @property
    def moves_temperature(self) -> bool:
        """Whether T differs between steps (then soft targets are made per batch)."""
        return (self.kind != "constant" and self.temperature_end is not None
                and self.temperature_end != self.temperature)

    def at(self, fraction: float) -> tuple[float, float]:
        """(alpha, temperature) at ``fraction`` of the fit."""
        alpha_end = self.alpha if self.alpha_end is None else self.alpha_end
        temperature_end = self.temperature if self.temperature_end is None \
            else self.temperature_end
        return (scheduled(self.kind, self.alpha, alpha_end, fraction),
                scheduled(self.kind, self.temperature, temperature_end, fraction))

    def temperatures(self, progress: Sequence[Progress]) -> list[float]:
        """T at each of these steps."""
        return [self.at(step.fraction)[1] for step in progress]

    def metrics(self, fraction: float) -> dict[str, float]:
        """The α and T at ``fraction``, named for the epoch event (and metrics.jsonl)."""
        alpha, temperature = self.at(fraction)
        return {"alpha": alpha, "temperature": temperature}
