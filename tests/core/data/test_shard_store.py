"""The shard store resumes finished shards and never trusts a partial or corrupt file."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from workbench.core.data.shard_store import Layout, ShardStore, fill

LAYOUT = Layout("test-tag", rows=10, row_shape=(3,), dtype="float16", shard_rows=4)


def _rows(start: int, stop: int) -> np.ndarray:
    return np.arange(start * 3, stop * 3, dtype=np.float16).reshape(stop - start, 3)


def _half_written(path: Path) -> ShardStore:
    """A pass that died after its first two shards (of three)."""
    store = ShardStore(path, LAYOUT)
    for shard in (0, 1):
        store.write(shard, _rows(*LAYOUT.bounds(shard)))
    return store


def test_a_killed_pass_resumes_with_the_shards_it_finished(tmp_path: Path) -> None:
    _half_written(tmp_path / "out.bin")
    reopened = ShardStore(tmp_path / "out.bin", LAYOUT)
    assert reopened.missing() == [2]
    produced: list[tuple[int, int]] = []

    def produce(start: int, stop: int) -> np.ndarray:
        produced.append((start, stop))
        return _rows(start, stop)

    values = fill(reopened, produce)
    assert produced == [(8, 10)]  # only the missing shard is computed again
    np.testing.assert_array_equal(values, _rows(0, 10))


def test_an_unfinished_file_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="1 shards are not written"):
        _half_written(tmp_path / "out.bin").read()


def test_a_shard_whose_bytes_changed_is_written_again(tmp_path: Path) -> None:
    _half_written(tmp_path / "out.bin")
    with open(tmp_path / "out.bin", "r+b") as handle:  # one byte of shard 1 flipped
        handle.seek(5 * 3 * 2)
        byte = handle.read(1)
        handle.seek(5 * 3 * 2)
        handle.write(bytes([byte[0] ^ 0xFF]))
    notes: list[str] = []
    reopened = ShardStore(tmp_path / "out.bin", LAYOUT, notes.append)
    assert reopened.missing() == [1, 2]
    assert "shard 1 does not match its digest" in notes[0]


@pytest.mark.parametrize("damage", ["truncate", "record", "layout"])
def test_a_truncated_file_or_bad_record_starts_over(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "out.bin"
    _half_written(path)
    layout = LAYOUT
    if damage == "truncate":
        with open(path, "r+b") as handle:
            handle.truncate(7)
    elif damage == "record":
        (tmp_path / "out.bin.json").write_text("{half a rec", encoding="utf-8")
    else:
        layout = Layout("another-tag", 10, (3,), "float16", 4)
    notes: list[str] = []
    reopened = ShardStore(path, layout, notes.append)
    assert reopened.missing() == [0, 1, 2]
    assert "was not trusted" in notes[0]
    assert path.stat().st_size == layout.nbytes


def test_the_record_lists_each_finished_shard_with_its_digest(tmp_path: Path) -> None:
    _half_written(tmp_path / "out.bin")
    record = json.loads((tmp_path / "out.bin.json").read_text(encoding="utf-8"))
    assert sorted(record["done"]) == ["0", "1"]
    assert all(len(digest) == 64 for digest in record["done"].values())
