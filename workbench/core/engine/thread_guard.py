"""Mid-run: fewer torch threads when another program takes a core.

The default thread count is chosen once, before the first step, from the cores
free then (threads.py, thread_check.py). A program that starts later turns every
step of a multi-threaded run into a wait on the busy core: two threads made a
small MLP's steps 20-35 times slower on a 2-core machine with one core taken.

The guard watches the step time in stretches of ``STRETCH`` steps. When a
stretch's mean step is ``SLOW_RATIO`` times the phase's fastest stretch's, it looks at
the cores again (``free_cores``: others' load only; this process sleeps while it
looks) and, if fewer are free than threads in use, the run goes on with the free
ones. The mean, not the median: a core shared with another program makes a fraction of
the steps wait a whole scheduler slice (measured: median step 1.1 -> 1.8 ms, mean
1.4 -> 3.7 ms); one slow step (a re-sort, a garbage collection) moves a stretch's
mean by a few percent. It only lowers the count, and only in runs whose count was chosen for them
(``train.threads`` unset) on the CPU by one process: a count someone set, or the
ranks' split under torchrun, is theirs. A look that finds the cores free waits
``COOLDOWN`` stretches before the next (the slowness is something else).

Results depend on the thread count (the order of floating-point sums), so every
change is an event (``ThreadsChanged``), listed in ``summary.json``
(``thread_changes``), and the count in force is what a resumed run continues with.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from workbench.core.engine.threads import free_cores

STRETCH = 50  # steps whose mean step time is compared with the phase's best stretch
SLOW_RATIO = 1.5  # a stretch this much slower than the best makes the guard look at the cores
COOLDOWN = 8  # stretches without a look after one that found enough cores free


@dataclass(frozen=True)
class ThreadChange:
    """Fewer threads from here on: the count before and after, and what the steps took."""

    before: int
    after: int
    best_step_ms: float  # mean step of the phase's fastest stretch
    slow_step_ms: float  # mean step of the stretch that made the guard look


@dataclass
class ThreadGuard:
    """Per-step watch of a run's step time; inactive until ``watch`` gives it a count.

    Attributes:
        look: the cores free of other programs' work right now (at least 1).
        clock: seconds, monotonic.
    """

    look: Callable[[], int] = lambda: free_cores()  # noqa: E731 - looked up when called
    clock: Callable[[], float] = lambda: time.perf_counter()  # noqa: E731 - as look
    threads: int | None = None  # the count in force; None: not watching
    changes: list[ThreadChange] = field(default_factory=list)
    _on_change: Callable[[int], None] | None = None
    _times: list[float] = field(default_factory=list)
    _last: float | None = None
    _best: float | None = None
    _cooldown: int = 0

    def watch(self, threads: int, on_change: Callable[[int], None] | None = None) -> None:
        """Start watching a run on ``threads`` threads; ``on_change`` gets each new count."""
        self.threads, self._on_change = threads, on_change

    @property
    def active(self) -> bool:
        return self.threads is not None and self.threads > 1

    def phase_started(self) -> None:
        """A new phase: another model, another step time to compare with."""
        self._best, self._cooldown = None, 0
        self.epoch_started()

    def epoch_started(self) -> None:
        """The time between epochs (validation, checkpoints) is not a step's."""
        self._times.clear()
        self._last = None

    def step_ended(self) -> ThreadChange | None:
        """Call after every step; returns the change when the run lost threads here."""
        if not self.active:
            return None
        now = self.clock()
        if self._last is not None:
            self._times.append(now - self._last)
        self._last = now
        if len(self._times) < STRETCH:
            return None
        mean = sum(self._times) / len(self._times)
        self._times.clear()
        if self._best is None or mean < self._best:
            self._best = mean
            return None
        if self._cooldown > 0:
            self._cooldown -= 1
            return None
        if mean < SLOW_RATIO * self._best:
            return None
        return self._look(mean)

    def _look(self, mean: float) -> ThreadChange | None:
        assert self.threads is not None and self._best is not None
        free = max(1, self.look())
        self._last = None  # the look itself (a sampling pause) is not a step
        if free >= self.threads:
            self._cooldown = COOLDOWN
            return None
        change = ThreadChange(self.threads, free, 1000 * self._best, 1000 * mean)
        torch.set_num_threads(free)
        self.threads, self._best = free, None  # a new count: a new best to compare with
        self.changes.append(change)
        if self._on_change is not None:
            self._on_change(free)
        return change

    def summary(self) -> list[dict[str, Any]]:
        return [asdict(change) for change in self.changes]
