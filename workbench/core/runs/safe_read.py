"""Reading a file of a run folder without trusting it.

Run folders are user territory: copied, synced, edited by hand. Opening a pipe
would block forever and reading a huge file would exhaust memory, so files are
opened without blocking, checked to be regular files, and read up to a limit.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

MiB = 1024 * 1024


class UnreadableFile(Exception):
    """A file exists but cannot be used; the message is one line naming the file."""


def read_capped(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    Raises:
        FileNotFoundError: there is no such file (callers treat that as "absent").
        UnreadableFile: anything else (a folder, a pipe, no permission, too big).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise UnreadableFile(f"{path.name} cannot be opened ({_reason(error)})") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(f"{path.name} is {_kind(info.st_mode)}, not a file")
        if info.st_size > limit:
            raise UnreadableFile(_too_big(path, info.st_size, limit))
        with os.fdopen(os.dup(descriptor), "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        raise UnreadableFile(f"{path.name} cannot be read ({_reason(error)})") from None
    finally:
        os.close(descriptor)
    if len(data) > limit:  # it grew after fstat
        raise UnreadableFile(_too_big(path, len(data), limit))
    return data


def _too_big(path: Path, size: int, limit: int) -> str:
    return (f"{path.name} is {size / MiB:.1f} MiB, over the {limit / MiB:g} MiB limit "
            "for this file")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "something else"


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__
