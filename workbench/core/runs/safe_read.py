"""Reading a file of a run folder without trusting it: the helper lives in ``core.files``.

Kept so the run modules' imports stay short; presets need the same reader and
sit below runs, so the code itself is in the leaf helper module.
"""
from __future__ import annotations

from workbench.core.files import MiB, FileTooLarge, UnreadableFile, read_capped

__all__ = ["MiB", "FileTooLarge", "UnreadableFile", "read_capped"]
