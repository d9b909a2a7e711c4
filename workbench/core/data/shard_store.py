"""A memory-mapped file filled shard by shard, that a crash never leaves half-trusted.

Streamed runs keep two things on disk that are too big (or too slow) to rebuild
every run: the decoded training images (uint8) and the teacher's outputs. Both
are written once, shard by shard, and read many times through ``np.memmap``.

Beside the data file a small JSON record says what the file holds (its ``tag``,
row count, dtype, shard size) and which shards are finished, each with the
sha256 of its bytes. A shard counts only once its bytes are flushed *and* its
digest is recorded (the record is replaced atomically), so a run killed
mid-pass resumes with the shards it finished; on opening, every finished
shard is hashed again, and one whose bytes no longer match (a truncated or
overwritten file) is written again — never trusted. A record that does not
parse, or describes another layout, starts the file over.

Plain numpy rather than a library (zarr, HDF5): one fixed-size array per file,
read by row indices from DataLoader workers, which ``np.memmap`` does with no
dependency and no decoding.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workbench.core.files import atomic_write_json

RECORD_VERSION = 1


@dataclass(frozen=True)
class Layout:
    """What one store holds: ``rows`` rows of ``row_shape`` in ``dtype``, cut in shards."""

    tag: str  # what the rows are (a cache key's text): another tag is another file
    rows: int
    row_shape: tuple[int, ...]
    dtype: str  # numpy dtype string, e.g. "uint8", "float16"
    shard_rows: int

    @property
    def shards(self) -> int:
        return -(-self.rows // self.shard_rows)

    @property
    def nbytes(self) -> int:
        return self.rows * int(np.prod(self.row_shape, dtype=np.int64)) * np.dtype(self.dtype).itemsize

    def bounds(self, shard: int) -> tuple[int, int]:
        start = shard * self.shard_rows
        return start, min(self.rows, start + self.shard_rows)

    def as_record(self) -> dict[str, Any]:
        return {"tag": self.tag, "rows": self.rows, "row_shape": list(self.row_shape),
                "dtype": self.dtype, "shard_rows": self.shard_rows}


class ShardStore:
    """One data file and its record; ``missing()`` shards are the ones to (re)write.

    Args:
        path: the data file (the record is ``path`` + ``.json``).
        layout: what the file must hold; a file of another layout is started over.
        on_note: hears why finished work was not trusted (shown with the cache phase).
    """

    def __init__(self, path: Path, layout: Layout,
                 on_note: Callable[[str], None] | None = None) -> None:
        self.path, self.layout = path, layout
        self.record_path = path.with_name(path.name + ".json")
        self._note = on_note or (lambda message: None)
        self.done: dict[int, str] = self._open()

    def missing(self) -> list[int]:
        return [shard for shard in range(self.layout.shards) if shard not in self.done]

    @property
    def complete(self) -> bool:
        return len(self.done) == self.layout.shards

    def write(self, shard: int, values: np.ndarray) -> None:
        """Write one shard's rows, flush them, then record the shard as finished."""
        start, stop = self.layout.bounds(shard)
        expected = (stop - start, *self.layout.row_shape)
        if tuple(values.shape) != expected:
            raise ValueError(f"shard {shard} has shape {tuple(values.shape)}, expected {expected}")
        array = self._memmap("r+")
        array[start:stop] = values
        array.flush()
        del array
        self.done[shard] = _digest(np.ascontiguousarray(values, dtype=self.layout.dtype))
        self._save_record()

    def read(self) -> np.ndarray:
        """The whole file, read-only and paged in on demand (call when ``complete``)."""
        if not self.complete:
            raise RuntimeError(f"{self.path}: {len(self.missing())} shards are not written yet")
        return self._memmap("r")

    def _memmap(self, mode: str) -> np.memmap:
        return np.memmap(self.path, dtype=self.layout.dtype, mode=mode,
                         shape=(self.layout.rows, *self.layout.row_shape))

    def _open(self) -> dict[int, str]:
        """The finished shards whose bytes still match their digests; a fresh file otherwise."""
        record, problem = self._read_record()
        if problem is None and self.path.stat().st_size != self.layout.nbytes:
            problem = f"the file has {self.path.stat().st_size} bytes, expected {self.layout.nbytes}"
        if problem is not None:
            if self.path.exists() or self.record_path.exists():
                self._note(f"{self.path.name} was not trusted ({problem}): written again")
            return self._start_over()
        done = {int(shard): digest for shard, digest in record["done"].items()}
        array = self._memmap("r")
        for shard, digest in list(done.items()):
            start, stop = self.layout.bounds(shard)
            if shard >= self.layout.shards or _digest(np.asarray(array[start:stop])) != digest:
                self._note(f"{self.path.name}: shard {shard} does not match its digest; "
                           "written again")
                del done[shard]
        return done

    def _read_record(self) -> tuple[dict[str, Any], str | None]:
        if not self.record_path.exists() or not self.path.exists():
            return {}, "no record"
        try:
            record = json.loads(self.record_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            return {}, f"its record does not parse: {error}"
        if not isinstance(record, dict) or record.get("version") != RECORD_VERSION:
            return {}, "its record is of another version"
        if record.get("layout") != self.layout.as_record():
            return {}, "its record describes another layout"
        if not isinstance(record.get("done"), dict):
            return {}, "its record lists no finished shards"
        return record, None

    def _start_over(self) -> dict[int, str]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "wb") as handle:  # sparse: no bytes written until a shard is
            handle.truncate(self.layout.nbytes)
        self.done = {}
        self._save_record()
        return {}

    def _save_record(self) -> None:
        atomic_write_json(self.record_path, {
            "version": RECORD_VERSION, "layout": self.layout.as_record(),
            "done": {str(shard): digest for shard, digest in sorted(self.done.items())}})


def _digest(values: np.ndarray) -> str:
    return hashlib.sha256(memoryview(np.ascontiguousarray(values)).cast("B")).hexdigest()


def fill(store: ShardStore, produce: Callable[[int, int], np.ndarray],
         on_shard: Callable[[int], None] | None = None) -> np.ndarray:
    """Write every missing shard with ``produce(start, stop)``; returns the read-only array.

    ``on_shard(rows)`` is called after each shard (progress, a stop checkpoint).
    """
    for shard in store.missing():
        start, stop = store.layout.bounds(shard)
        store.write(shard, produce(start, stop))
        if on_shard is not None:
            on_shard(stop - start)
    return store.read()
