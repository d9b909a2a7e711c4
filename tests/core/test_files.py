"""Atomic writes: the target holds the old file or the new one, never part of either."""
from __future__ import annotations

import hashlib
import itertools
import json
import os
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from workbench.core import files
from workbench.core.files import (atomic_path, atomic_write_bytes, atomic_write_json,
                                  atomic_write_many, atomic_write_text, atomic_writer,
                                  sha256_file)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder of its own, so a listing shows exactly what the writers left."""
    path = tmp_path / "out"
    path.mkdir()
    return path


def names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_each_writer_replaces_the_file_and_leaves_nothing_else(folder: Path) -> None:
    atomic_write_bytes(folder / "a.bin", b"\x00\x01old")
    atomic_write_bytes(folder / "a.bin", b"\x00\x01new\n")
    atomic_write_text(folder / "b.yaml", "name: é\n")
    atomic_write_json(folder / "c.json", {"x": [1, 2]})
    atomic_write_bytes(folder / "deeper" / "d.bin", b"d")  # a missing folder is created
    assert (folder / "a.bin").read_bytes() == b"\x00\x01new\n"  # bytes kept as bytes
    assert (folder / "b.yaml").read_text(encoding="utf-8") == "name: é\n"
    assert json.loads((folder / "c.json").read_text(encoding="utf-8")) == {"x": [1, 2]}
    assert names(folder) == ["a.bin", "b.yaml", "c.json", "deeper"]
    assert names(folder / "deeper") == ["d.bin"]


def test_an_error_midway_keeps_the_old_file_and_removes_the_temporary_one(folder: Path) -> None:
    target = folder / "bundle.zip"
    atomic_write_bytes(target, b"old content")
    with pytest.raises(RuntimeError, match="disk full"), atomic_writer(target) as handle:
        with zipfile.ZipFile(handle, "w") as archive:
            archive.writestr("first.txt", b"x" * 10_000)
            raise RuntimeError("disk full")
    assert target.read_bytes() == b"old content"
    assert names(folder) == ["bundle.zip"]


def test_an_interrupt_also_cleans_up(folder: Path) -> None:
    target = folder / "ckpt.pt"
    with pytest.raises(KeyboardInterrupt), atomic_writer(target) as handle:
        handle.write(b"half")
        raise KeyboardInterrupt
    assert names(folder) == []


def test_an_unserialisable_json_object_writes_nothing(folder: Path) -> None:
    target = folder / "summary.json"
    atomic_write_json(target, {"status": "running"})
    with pytest.raises(TypeError):
        atomic_write_json(target, {"status": object()})
    assert json.loads(target.read_text(encoding="utf-8")) == {"status": "running"}
    assert names(folder) == ["summary.json"]
    atomic_write_json(target, {"status": object()}, default=lambda value: "shown")
    assert json.loads(target.read_text(encoding="utf-8")) == {"status": "shown"}


def test_only_whole_file_modes_are_accepted(folder: Path) -> None:
    with pytest.raises(ValueError, match="'ab'"):
        with atomic_writer(folder / "x", "ab"):  # type: ignore[arg-type]
            pass
    assert names(folder) == []


def test_a_taken_temporary_name_is_never_overwritten(folder: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    draws = itertools.chain(["same", "same"], itertools.repeat("fresh"))
    monkeypatch.setattr(files.secrets, "token_hex", lambda _: next(draws))
    target = folder / "preset.yaml"
    someone_elses = folder / files.temp_name_for(target)  # draws "same"
    someone_elses.write_bytes(b"another writer's half file")
    atomic_write_text(target, "mine\n")
    assert target.read_text(encoding="utf-8") == "mine\n"
    assert someone_elses.read_bytes() == b"another writer's half file"
    assert names(folder) == sorted([".preset.yaml.same.tmp", "preset.yaml"])


def test_temporary_names_stay_out_of_the_globs_that_list_files(folder: Path) -> None:
    name = files.temp_name_for(folder / "mine.yaml")
    assert name.startswith(".mine.yaml.") and name.endswith(files.TEMP_SUFFIX)
    (folder / name).write_text("half")
    assert list(folder.glob("*.yaml")) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_a_written_file_gets_the_permissions_a_plain_open_gives(folder: Path) -> None:
    (folder / "plain").write_bytes(b"")
    atomic_write_bytes(folder / "atomic", b"")
    plain_mode = (folder / "plain").stat().st_mode & 0o777
    assert (folder / "atomic").stat().st_mode & 0o777 == plain_mode


@pytest.mark.skipif(sys.platform == "win32",
                    reason="Windows refuses to replace a file a reader holds open")
def test_a_concurrent_reader_sees_the_old_file_or_the_new_one(folder: Path) -> None:
    target = folder / "summary.json"
    versions = [bytes([65 + index]) * 200_000 for index in range(2)]  # big: many write calls
    atomic_write_bytes(target, versions[0])
    seen: set[bytes] = set()
    done = threading.Event()

    def write() -> None:
        try:
            for round_ in range(40):
                atomic_write_bytes(target, versions[round_ % 2])
        finally:
            done.set()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while not done.is_set():
            seen.add(target.read_bytes())
    finally:
        writer.join()
    assert seen <= set(versions)
    assert names(folder) == ["summary.json"]


def test_atomic_path_hands_a_file_name_and_commits_only_on_success(folder: Path) -> None:
    target = folder / "model.onnx"
    with atomic_path(target) as temp:
        assert temp.parent == folder and temp.exists() and temp != target
        temp.write_bytes(b"exported")
    assert target.read_bytes() == b"exported"
    with pytest.raises(ValueError), atomic_path(target) as temp:
        temp.write_bytes(b"broken export")
        raise ValueError("exporter failed")
    assert target.read_bytes() == b"exported"
    assert names(folder) == ["model.onnx"]


def test_many_files_land_together_or_not_at_all(folder: Path) -> None:
    first, second = folder / "models" / "m.yaml", folder / "experiments" / "e.yaml"
    atomic_write_bytes(first, b"old model")
    (folder / "blocked").write_bytes(b"a file where a folder should be")
    with pytest.raises(OSError):
        atomic_write_many([(first, b"new model"), (folder / "blocked" / "x.yaml", b"x")])
    assert first.read_bytes() == b"old model"
    assert names(first.parent) == ["m.yaml"]
    assert atomic_write_many([(first, b"new model"), (second, b"exp")]) == [first, second]
    assert (first.read_bytes(), second.read_bytes()) == (b"new model", b"exp")
    assert names(folder) == ["blocked", "experiments", "models"]
    assert names(first.parent) == ["m.yaml"] and names(second.parent) == ["e.yaml"]


def test_sha256_file_matches_hashlib_on_the_whole_content(folder: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 7)  # more than one read chunk
    atomic_write_bytes(folder / "weights.pt", data)
    assert sha256_file(folder / "weights.pt") == hashlib.sha256(data).hexdigest()
