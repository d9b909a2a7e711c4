"""Read and write IDX files (the MNIST family's format), plain or gzip-compressed."""
from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from workbench.core.errors import DataError

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09}
# What one IDX file may declare: far above the MNIST family (47 MB), far below a header's
# worst (255 dimensions of 2**32 - 1).
MAX_IDX_BYTES = 2 * 1024**3
_CHUNK_BYTES = 16 * 1024 * 1024


def read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (``.gz`` or raw) into a numpy array of its declared shape.

    The header's dimensions are checked against the data before the data is
    read: a header may declare more bytes than any file holds.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            dtype, shape = _read_header(path, handle)
            expected = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
            if expected > MAX_IDX_BYTES:
                raise DataError(f"{path} is corrupt or too large: its header declares shape "
                                f"{shape}, {expected:,} bytes, more than the "
                                f"{MAX_IDX_BYTES // 1024**3} GiB an IDX file may hold here")
            data = _read_at_most(handle, expected + 1)  # one more byte tells a too-long file
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(f"cannot read {path}: {error}") from error
    if len(data) != expected:
        raise DataError(f"{path} is truncated or corrupt: header says {shape} "
                        f"({expected:,} bytes), file has {len(data):,}"
                        + (" or more" if len(data) > expected else ""))
    return np.frombuffer(data, dtype=dtype).reshape(shape)


def _read_at_most(handle: BinaryIO, limit: int) -> bytes:
    """Read up to ``limit`` bytes in chunks: memory follows the data, not the header's claim."""
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = handle.read(min(left, _CHUNK_BYTES))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_header(path: Path, handle: BinaryIO) -> tuple[np.dtype, tuple[int, ...]]:
    magic = handle.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _DTYPES:
        raise DataError(f"{path} is not an IDX file (bad magic number)")
    ndim = magic[3]
    dims = handle.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise DataError(f"{path} is truncated or corrupt: its header needs {4 + 4 * ndim} "
                        f"bytes, the file has {4 + len(dims)}")
    return np.dtype(_DTYPES[magic[2]]), struct.unpack(f">{ndim}I", dims)


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8/int8 array as IDX (gzip when the name ends in .gz)."""
    array = np.ascontiguousarray(array)
    header = bytes([0, 0, _CODES[array.dtype], array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as handle:
        handle.write(header + array.tobytes())
