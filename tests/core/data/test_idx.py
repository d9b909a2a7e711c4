"""IDX files: round trip, and clear errors for anything corrupt."""
from __future__ import annotations

import gzip
import math
import struct
from pathlib import Path

import numpy as np
import pytest

from workbench.core.data.idx import read_idx, write_idx
from workbench.core.errors import DataError


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
@pytest.mark.parametrize("shape", [(7, 28, 28), (13,), (2, 3, 4, 5)])
def test_round_trip(tmp_path: Path, name: str, shape: tuple[int, ...]) -> None:
    array = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    path = tmp_path / name
    write_idx(path, array)
    loaded = read_idx(path)
    assert loaded.dtype == np.uint8
    assert loaded.shape == shape
    assert np.array_equal(loaded, array)


def test_gz_files_are_really_compressed_and_raw_ones_are_not(tmp_path: Path) -> None:
    array = np.zeros((10, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / "raw", array)
    write_idx(tmp_path / "packed.gz", array)
    raw = (tmp_path / "raw").read_bytes()
    assert raw[:4] == bytes([0, 0, 0x08, 3])
    assert len(raw) == 4 + 3 * 4 + array.size
    assert gzip.decompress((tmp_path / "packed.gz").read_bytes()) == raw


def test_int8_round_trip(tmp_path: Path) -> None:
    array = np.array([-128, -1, 0, 127], dtype=np.int8)
    write_idx(tmp_path / "signed", array)
    assert np.array_equal(read_idx(tmp_path / "signed"), array)


def _raw_idx(tmp_path: Path) -> bytes:
    write_idx(tmp_path / "whole", np.ones((5, 28, 28), dtype=np.uint8))
    return (tmp_path / "whole").read_bytes()


def test_truncated_data_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(_raw_idx(tmp_path)[:500])
    with pytest.raises(DataError) as raised:
        read_idx(path)
    assert str(path) in str(raised.value)
    assert "truncated" in str(raised.value)


def test_a_file_cut_inside_its_header_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(_raw_idx(tmp_path)[:7])
    with pytest.raises(DataError) as raised:
        read_idx(path)
    assert str(path) in str(raised.value)


def test_bad_magic_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(b"PK\x03\x04 this is a zip, not IDX")
    with pytest.raises(DataError, match="not an IDX file") as raised:
        read_idx(path)
    assert str(path) in str(raised.value)


def test_a_truncated_gz_names_the_file(tmp_path: Path) -> None:
    write_idx(tmp_path / "whole.gz", np.random.default_rng(0).integers(
        0, 256, (50, 28, 28), dtype=np.uint8))
    packed = (tmp_path / "whole.gz").read_bytes()
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(packed[:len(packed) // 2])
    with pytest.raises(DataError) as raised:
        read_idx(path)
    assert str(path) in str(raised.value)


def test_a_gz_name_on_plain_bytes_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(_raw_idx(tmp_path))
    with pytest.raises(DataError) as raised:
        read_idx(path)
    assert str(path) in str(raised.value)


def test_a_corrupt_deflate_stream_is_a_data_error(tmp_path: Path) -> None:
    """gzip header fine, deflate block invalid: zlib raises its own error type."""
    path = tmp_path / "train-images-idx3-ubyte.gz"
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    path.write_bytes(header + b"\x07" + b"\x00" * 20)  # block type 3 does not exist
    with pytest.raises(DataError) as raised:
        read_idx(path)
    assert str(path) in str(raised.value)


def _header(dims: tuple[int, ...], code: int = 0x08) -> bytes:
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


@pytest.mark.parametrize("name", ["train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"])
@pytest.mark.parametrize("dims", [(2**32 - 1,) * 3, (2**32 - 1,) * 8, (65536, 65536, 1024)])
def test_a_header_declaring_more_than_any_file_holds_names_the_file(
        tmp_path: Path, name: str, dims: tuple[int, ...]) -> None:
    """The product of the dimensions overflows int64 or asks for terabytes: refused unread."""
    data = _header(dims) + bytes(100)
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    with pytest.raises(DataError) as raised:
        read_idx(path)
    message = str(raised.value)
    assert str(path) in message and "header declares" in message and "GiB" in message
    assert f"{math.prod(dims):,}" in message


def test_a_header_declaring_more_than_the_file_has_is_truncated(tmp_path: Path) -> None:
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(_header((1_000_000,)) + bytes(10)))
    with pytest.raises(DataError, match="truncated") as raised:
        read_idx(path)
    assert "1,000,000 bytes" in str(raised.value) and "file has 10" in str(raised.value)


def test_a_file_longer_than_its_header_says_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(_header((10,)) + bytes(11))
    with pytest.raises(DataError, match="file has 11 or more"):
        read_idx(path)


def test_big_endian_types_are_read_with_their_shape(tmp_path: Path) -> None:
    path = tmp_path / "floats-idx2"
    values = np.arange(6, dtype=">f4").reshape(2, 3)
    path.write_bytes(_header((2, 3), code=0x0D) + values.tobytes())
    assert np.array_equal(read_idx(path), values)
