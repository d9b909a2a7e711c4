"""When the runs folder cannot be written: refused before a run, a clean stop during one.

A full disk (ENOSPC, EDQUOT, EFBIG), a read-only mount (EROFS) or a folder
without permission (EACCES) must not end in a traceback, nor leave a run that
says "running" forever. Before a run the folder is probed with a real file;
during a run the store turns the OS error into ``RunWriteFailed``, which names
the file and the reason and stops the run as failed.
"""
from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workbench.core.errors import RunFailed, WorkbenchError
from workbench.core.files import TEMP_SUFFIX, os_reason

RUNS_DIR_HINT = "choose another folder with --runs-dir or WORKBENCH_RUNS_DIR"


class RunsFolderUnwritable(WorkbenchError):
    """The runs folder cannot take a new run; found before anything started."""


class RunWriteFailed(RunFailed):
    """Writing a run's files failed during the run; the run stops as failed."""

    def __init__(self, path: Path, error: OSError) -> None:
        self.path, self.reason = Path(path), os_reason(error)
        super().__init__(f"cannot write {path}: {self.reason}; the run was stopped")


def check_runs_folder(runs_dir: Path) -> None:
    """Prove a file can be written in ``runs_dir``, leaving nothing behind.

    A permission check (``os.access``) misses read-only mounts and full disks;
    creating the folder and writing a small file does not. Folders made for the
    probe are removed again, so a run refused later for bad input writes nothing.

    Raises:
        RunsFolderUnwritable: naming the folder and the operating system's reason.
    """
    runs_dir = Path(runs_dir)
    made = _missing_folders(runs_dir)
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
        _probe(runs_dir)
    except OSError as error:
        raise RunsFolderUnwritable(f"{runs_dir}: the runs folder cannot be written "
                                   f"({os_reason(error)}); {RUNS_DIR_HINT}") from None
    finally:
        for folder in made:  # deepest first; one that is no longer empty stays
            try:
                folder.rmdir()
            except OSError:
                break


def _missing_folders(path: Path) -> list[Path]:
    """``path`` and its parents that do not exist yet, deepest first."""
    missing: list[Path] = []
    try:
        while not path.exists() and path != path.parent:
            missing.append(path)
            path = path.parent
    except OSError:
        pass  # mkdir will name the problem
    return missing


def _probe(folder: Path) -> None:
    descriptor, probe = tempfile.mkstemp(dir=folder, prefix=".write-test-", suffix=TEMP_SUFFIX)
    try:
        os.write(descriptor, b"\n")
    finally:
        os.close(descriptor)
        Path(probe).unlink(missing_ok=True)


def os_error_in(error: BaseException) -> OSError | None:
    """The OS error behind ``error``: itself, or one it was raised from or during.

    ``torch.save`` into a file turns a failed write into a RuntimeError whose
    context holds the real ``OSError(EFBIG/ENOSPC)``.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, OSError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def append_whole(descriptor: int, data: bytes) -> None:
    """Append ``data`` whole or not at all: a write that fails halfway is cut back off.

    Written straight to the descriptor, so no buffer keeps half a line that a
    later ``close`` would still flush.
    """
    end = os.fstat(descriptor).st_size
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view):]
    except OSError:
        quietly(lambda: os.ftruncate(descriptor, end))
        raise


def failed_target(error: OSError, fallback: Path) -> Path:
    """The file a failed write was for; a temporary ``.name.<random>.tmp`` names its target."""
    if not error.filename:
        return fallback
    path = Path(os.fsdecode(error.filename))
    temporary = re.fullmatch(r"\.(.+)\.[0-9a-f]+" + re.escape(TEMP_SUFFIX), path.name)
    return path.with_name(temporary.group(1)) if temporary else path


def quietly(action: Callable[[], Any]) -> None:
    """Run a clean-up step whose own failure must not hide the error being reported."""
    try:
        action()
    except OSError:
        pass  # already failing: the first error is the one reported
