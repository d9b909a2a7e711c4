"""How a run ended, in one vocabulary, and the exit code every front-end gives for it.

The strings are the ones already written to ``summary.json`` and printed by
``workbench run --json``; a ``StrEnum`` keeps them plain strings for JSON and
f-strings, so files written before this module existed still read back.
"""
from __future__ import annotations

from enum import StrEnum

from workbench.core.stream.events import Event, RunEnded


class RunStatus(StrEnum):
    """The state of a run, as stored and printed."""

    COMPLETED = "completed"
    STOPPED = "stopped"  # a stop was asked for; what ran is saved
    FAILED = "failed"  # the run started and broke (a NaN loss, an exception)
    RUNNING = "running"  # written when a run starts, replaced when it ends
    CRASHED = "crashed"  # "running" on disk, but its process is gone
    INVALID = "invalid"  # refused before anything started: bad preset, missing data


_EXIT_CODES = {RunStatus.COMPLETED: 0, RunStatus.FAILED: 1, RunStatus.CRASHED: 1,
               RunStatus.STOPPED: 130, RunStatus.INVALID: 2}


def exit_code(status: RunStatus | str) -> int:
    """The process exit code for a finished run (130 as after Ctrl+C, 2 for bad input).

    Raises:
        ValueError: for an unknown status, or ``running`` (a run still going has none).
    """
    status = RunStatus(status)
    if status not in _EXIT_CODES:
        raise ValueError(f"a {status} run has no exit code yet")
    return _EXIT_CODES[status]


class RunOutcome:
    """A consumer that keeps the run's ``RunEnded``: front-ends report from the stream,
    not by re-reading files the run store wrote."""

    def __init__(self) -> None:
        self.ended: RunEnded | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunEnded):
            self.ended = event

    @property
    def status(self) -> RunStatus:
        """The run's status; ``failed`` when the stream never said how it ended."""
        return RunStatus.FAILED if self.ended is None else RunStatus(self.ended.status)

    @property
    def summary(self) -> dict:
        return {} if self.ended is None else dict(self.ended.summary)

    @property
    def error(self) -> str | None:
        return None if self.ended is None else self.ended.error
