"""Errors meant for people: each names what is wrong and how to fix it."""
from __future__ import annotations

from dataclasses import dataclass


class WorkbenchError(Exception):
    """Base class for errors a front-end shows as a message, not a traceback."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in a preset, located by its dotted field path."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class PresetError(WorkbenchError):
    """A preset (or an override) is invalid; carries every problem at once."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{source}: {count} {noun}:\n{lines}")


class PresetClash(PresetError):
    """Saving or importing would replace a preset of the same name.

    Front-ends catch this type (not the message) to offer "replace it?" and retry
    with overwrite/replace set.
    """


class DataError(WorkbenchError):
    """A dataset could not be found or read."""


class RunFailed(WorkbenchError):
    """Training failed (for example, the loss became NaN)."""


class RunStopped(Exception):
    """Raised inside the engine when a stop was requested; not an error."""
