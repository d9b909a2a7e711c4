"""Files written whole or not at all, read without trusting them, and their digests.

Every writer here follows one recipe: write a temporary file in the target's
own folder (so the final rename never crosses file systems), flush and fsync
it, then ``os.replace`` it over the target. A reader therefore sees the old
file or the new one, never half of either; on any exception the temporary
file is removed and the target is left exactly as it was.

Files from users (presets, run folders, share bundles) are read with
``read_capped``: opened without blocking (a named pipe would block forever),
checked to be regular files and read up to a limit.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import stat
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any, Literal

MiB = 1024 * 1024
TEMP_SUFFIX = ".tmp"
_NAME_TRIES = 100
# O_BINARY stops Windows from turning "\n" into "\r\n" below Python's own io layer.
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def temp_name_for(path: Path) -> str:
    """A fresh hidden name beside ``path``: ``.<name>.<random>.tmp``.

    The ``.tmp`` suffix keeps half-written files out of globs such as
    ``*.yaml`` or ``*.pt`` that list presets, runs and caches.
    """
    return f".{path.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}"


def _create_temp(path: Path) -> tuple[Path, int]:
    """Create an empty temporary file beside ``path``; never reuses an existing name.

    ``os.open`` with mode 0o666 lets the user's umask decide the permissions,
    so the replaced file gets the mode a plain ``open`` would give it
    (``mkstemp`` would make every saved preset private, 0o600).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(_NAME_TRIES):
        temp = path.with_name(temp_name_for(path))
        try:
            return temp, os.open(temp, _CREATE_FLAGS, 0o666)
        except FileExistsError:
            continue  # another writer drew the same name: draw again, never overwrite
    raise FileExistsError(f"no free temporary name beside {path} after {_NAME_TRIES} tries")


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable where the platform allows (not on Windows)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems refuse to fsync a folder; the data itself is synced
    finally:
        os.close(descriptor)


def _sync_file(temp: Path) -> None:
    descriptor = os.open(temp, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """A temporary path to hand to writers that want a file name, renamed over ``path`` on success.

    For exporters that only accept a file name (``torch.onnx.export``). The
    temporary file already exists (empty), which reserves its name.

    Args:
        path: the file to create or replace.
    """
    path = Path(path)
    temp, descriptor = _create_temp(path)
    os.close(descriptor)
    try:
        yield temp
        _sync_file(temp)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


@contextmanager
def atomic_writer(path: Path | str, mode: Literal["wb", "w"] = "wb",
                  encoding: str = "utf-8") -> Iterator[IO[Any]]:
    """An open file whose content replaces ``path`` only if the block ends without error.

    For writers that stream into a handle: ``torch.save``, ``zipfile.ZipFile``.

    Args:
        path: the file to create or replace.
        mode: ``"wb"`` for bytes, ``"w"`` for text.
        encoding: text encoding (text mode only).
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_writer writes whole files: mode 'wb' or 'w', not {mode!r}")
    path = Path(path)
    temp, descriptor = _create_temp(path)
    try:
        handle = os.fdopen(descriptor, mode, **({"encoding": encoding} if mode == "w" else {}))
    except BaseException:
        os.close(descriptor)
        temp.unlink(missing_ok=True)
        raise
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step."""
    with atomic_writer(path, "wb") as handle:
        handle.write(data)


def atomic_write_text(path: Path | str, text: str, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``text`` in one step."""
    with atomic_writer(path, "w", encoding=encoding) as handle:
        handle.write(text)


def atomic_write_json(path: Path | str, obj: Any, *, indent: int | None = 2,
                      default: Callable[[Any], Any] | None = None) -> None:
    """Replace ``path`` with ``obj`` as JSON; an unserialisable ``obj`` writes nothing.

    The text is made before any file is touched, so a ``TypeError`` from
    ``json.dumps`` leaves no temporary file behind.
    """
    atomic_write_text(path, json.dumps(obj, indent=indent, default=default) + "\n")


def atomic_write_many(files: Sequence[tuple[Path, bytes]]) -> list[Path]:
    """Write every file beside its target first; rename them into place only if all were written.

    A failure while writing leaves every target untouched. The renames happen
    in the given order, so list files that others refer to (models) before the
    files that refer to them (an experiment).

    Returns:
        The targets, in the order given.
    """
    with ExitStack() as stack:
        temps = []
        for target, data in files:
            temp = stack.enter_context(_staged(Path(target)))
            temp.write_bytes(data)
            _sync_file(temp)
            temps.append((temp, Path(target)))
        for temp, target in temps:
            os.replace(temp, target)
    for folder in {target.parent for _, target in temps}:
        _fsync_folder(folder)
    return [target for _, target in temps]


@contextmanager
def _staged(target: Path) -> Iterator[Path]:
    """A reserved temporary path that is removed on leaving, unless it was renamed away."""
    temp, descriptor = _create_temp(target)
    os.close(descriptor)
    try:
        yield temp
    finally:
        temp.unlink(missing_ok=True)


def sha256_file(path: Path | str) -> str:
    """Hex sha256 of a file's bytes, read in chunks (weights files can be large)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class UnreadableFile(Exception):
    """A file exists but cannot be used; the message is one line naming the file."""


class FileTooLarge(UnreadableFile):
    """A file over the caller's limit; ``size`` and ``limit`` in bytes."""

    def __init__(self, path: Path, size: int, limit: int) -> None:
        self.size, self.limit = size, limit
        super().__init__(f"{path.name} is {size / MiB:.1f} MiB, over the {limit / MiB:g} MiB "
                         "limit for this file")


def open_regular(path: Path | str) -> IO[bytes]:
    """``path`` opened for reading, only if it is a regular file; never blocks.

    For readers that take a handle (``zipfile.ZipFile``) and may read a lot.

    Raises:
        FileNotFoundError: there is no such file (callers treat that as "absent").
        UnreadableFile: anything else (a folder, a pipe, a device, no permission).
    """
    path = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise UnreadableFile(f"{path.name} cannot be opened ({os_reason(error)})") from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise UnreadableFile(f"{path.name} is {_kind(mode)}, not a file")
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_capped(path: Path | str, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    Raises:
        FileNotFoundError: there is no such file (callers treat that as "absent").
        UnreadableFile: anything else (a folder, a pipe, no permission, too big).
    """
    path = Path(path)
    with open_regular(path) as handle:
        try:
            size = os.fstat(handle.fileno()).st_size
            if size > limit:
                raise FileTooLarge(path, size, limit)
            data = handle.read(limit + 1)
        except OSError as error:
            raise UnreadableFile(f"{path.name} cannot be read ({os_reason(error)})") from None
    if len(data) > limit:  # it grew after fstat
        raise FileTooLarge(path, len(data), limit)
    return data


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


def os_reason(error: OSError) -> str:
    """The operating system's words for ``error`` ("No space left on device")."""
    return error.strerror or str(error) or type(error).__name__
