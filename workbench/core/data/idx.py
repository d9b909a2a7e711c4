"""Read and write IDX files (the MNIST family's format), plain or gzip-compressed."""
from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from workbench.core.errors import DataError

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09}


def read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (``.gz`` or raw) into a numpy array of its declared shape."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            data = handle.read()
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(f"cannot read {path}: {error}") from error
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES:
        raise DataError(f"{path} is not an IDX file (bad magic number)")
    dtype = np.dtype(_DTYPES[data[2]])
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path} is truncated or corrupt: its header needs {header} bytes, "
                        f"the file has {len(data)}")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise DataError(f"{path} is truncated or corrupt: header says {shape} "
                        f"({expected} bytes), file has {len(data) - header}")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8/int8 array as IDX (gzip when the name ends in .gz)."""
    array = np.ascontiguousarray(array)
    header = bytes([0, 0, _CODES[array.dtype], array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as handle:
        handle.write(header + array.tobytes())
