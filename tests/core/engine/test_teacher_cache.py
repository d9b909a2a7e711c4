"""Teacher logits are computed once, then served from memory and from disk."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from workbench.core.engine import teacher_cache
from workbench.core.stream.events import PhaseEnded
from workbench.core.engine.pipeline import run_experiment

from tests.core.conftest import tiny_preset


def cache_origin(events: list[Any]) -> tuple[str, str]:
    [ended] = [event for event in events if isinstance(event, PhaseEnded)
               and event.phase == "cache"]
    return ended.metrics["origin"], ended.metrics["key"]


def run_and_get_origin(cache: teacher_cache.TeacherLogitsCache | None = None
                       ) -> tuple[str, str]:
    events: list[Any] = []
    run_experiment(tiny_preset("train.epochs=1", "train.baseline=false"),
                   callbacks=[events.append], cache=cache)
    return cache_origin(events)


def test_a_second_run_reuses_the_teacher_logits(isolated_folders: dict[str, Path]) -> None:
    session = teacher_cache.TeacherLogitsCache()
    first, key = run_and_get_origin(session)
    assert first == "computed"
    cached = isolated_folders["cache"] / "teacher-logits" / f"{key}.pt"
    assert cached.is_file()
    assert run_and_get_origin(session) == ("memory", key)
    assert run_and_get_origin(teacher_cache.TeacherLogitsCache()) == ("disk", key)
    assert run_and_get_origin() == ("disk", key)  # no memory cache: the disk only


def test_memory_disk_and_recompute_paths(tmp_path: Path) -> None:
    torch.manual_seed(0)
    teacher = nn.Linear(4, 3)
    train, test = torch.randn(10, 4), torch.randn(5, 4)
    memory = teacher_cache.TeacherLogitsCache()
    first = teacher_cache.teacher_logits(teacher, train, test, "k1", tmp_path, memory=memory)
    assert first[2] == "computed"
    torch.testing.assert_close(first[0], teacher(train).detach())
    assert teacher_cache.cache_path("k1", tmp_path).is_file()
    second = teacher_cache.teacher_logits(teacher, train, test, "k1", tmp_path, memory=memory)
    assert second[2] == "memory" and torch.equal(second[0], first[0])
    third = teacher_cache.teacher_logits(teacher, train, test, "k1", tmp_path,
                                         memory=teacher_cache.TeacherLogitsCache())
    assert third[2] == "disk" and torch.equal(third[1], first[1])


def test_a_corrupt_or_mismatched_cache_file_is_recomputed(tmp_path: Path) -> None:
    teacher = nn.Linear(4, 3)
    train, test = torch.randn(10, 4), torch.randn(5, 4)
    path = teacher_cache.cache_path("k2", tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a torch file")
    assert teacher_cache.teacher_logits(teacher, train, test, "k2", tmp_path)[2] == "computed"
    # the file now holds 10 rows; asking for 12 must not return the stale ones
    more = torch.randn(12, 4)
    logits, _, origin = teacher_cache.teacher_logits(teacher, more, test, "k2", tmp_path)
    assert origin == "computed" and logits.shape == (12, 3)


def test_the_key_depends_on_weights_data_and_rows() -> None:
    keys = {teacher_cache.cache_key("w1", "d1", 10), teacher_cache.cache_key("w2", "d1", 10),
            teacher_cache.cache_key("w1", "d2", 10), teacher_cache.cache_key("w1", "d1", 11)}
    assert len(keys) == 4
    assert teacher_cache.cache_key("w1", "d1", 10) == teacher_cache.cache_key("w1", "d1", 10)


def test_cache_files_default_to_the_user_cache_folder(isolated_folders: dict[str, Path]) -> None:
    assert teacher_cache.cache_path("abc") == \
        isolated_folders["cache"] / "teacher-logits" / "abc.pt"


def _stored(train: Any, test: Any) -> dict[str, Any]:
    return {"train": train, "test": test}


# Readable files of the right row count that are still not the teacher's outputs (3 classes).
WRONG_CACHES = {
    "wrong-classes": (_stored(torch.zeros(10, 5), torch.zeros(4, 5)),
                      "shape (10, 5), expected (10, 3)"),
    "nan": (_stored(torch.full((10, 3), float("nan")), torch.zeros(4, 3)), "NaN or infinite"),
    "inf": (_stored(torch.zeros(10, 3), torch.full((4, 3), float("inf"))), "NaN or infinite"),
    "float64": (_stored(torch.zeros(10, 3, dtype=torch.float64), torch.zeros(4, 3)),
                "dtype torch.float64, expected torch.float32"),
    "int-logits": (_stored(torch.zeros(10, 3, dtype=torch.int64), torch.zeros(4, 3)),
                   "dtype torch.int64"),
    "no-test": ({"train": torch.zeros(10, 3)}, "no test logits"),
    "a-list": ([torch.zeros(10, 3), torch.zeros(4, 3)], "does not hold train and test"),
    "oversized": (_stored(torch.zeros(10, 3), torch.zeros(4, 3)), "bytes where about"),
}


@pytest.mark.parametrize("case", sorted(WRONG_CACHES))
def test_a_readable_but_wrong_cache_is_recomputed_and_replaced(tmp_path: Path,
                                                                 case: str) -> None:
    torch.manual_seed(0)
    teacher = nn.Linear(4, 3)
    train, test = torch.randn(10, 4), torch.randn(4, 4)
    path = teacher_cache.cache_path("bad", tmp_path)
    path.parent.mkdir(parents=True)
    content, reason = WRONG_CACHES[case]
    torch.save(content, path)
    if case == "oversized":
        with open(path, "ab") as handle:
            handle.truncate(path.stat().st_size + 10_000_000)  # sparse, padded past any use
    notes: list[str] = []
    logits, test_logits, origin = teacher_cache.teacher_logits(teacher, train, test, "bad",
                                                               tmp_path, on_note=notes.append)
    assert origin == "computed"
    torch.testing.assert_close(logits, teacher(train).detach())
    [note] = notes
    assert str(path) in note and reason in note
    # the file was replaced: the next run reads it
    again = teacher_cache.teacher_logits(teacher, train, test, "bad", tmp_path,
                                         on_note=notes.append)
    assert again[2] == "disk" and torch.equal(again[1], test_logits) and len(notes) == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_in_place_of_the_cache_is_replaced(tmp_path: Path) -> None:
    teacher = nn.Linear(4, 3)
    path = teacher_cache.cache_path("pipe", tmp_path)
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    notes: list[str] = []
    origin = teacher_cache.teacher_logits(teacher, torch.randn(10, 4), torch.randn(4, 4),
                                          "pipe", tmp_path, on_note=notes.append)[2]
    assert origin == "computed" and "not a regular file" in notes[0] and path.is_file()


def test_a_run_records_why_it_recomputed_the_cache(isolated_folders: dict[str, Path]) -> None:
    _, key = run_and_get_origin()
    path = isolated_folders["cache"] / "teacher-logits" / f"{key}.pt"
    stored = torch.load(path, weights_only=True)
    torch.save({"train": stored["train"][:, :3], "test": stored["test"]}, path)
    events: list[Any] = []
    run_experiment(tiny_preset("train.epochs=1", "train.baseline=false"),
                   callbacks=[events.append])
    [ended] = [event for event in events if isinstance(event, PhaseEnded)
               and event.phase == "cache"]
    assert ended.metrics["origin"] == "computed"
    assert "expected (" in ended.metrics["note"] and str(path) in ended.metrics["note"]
    assert torch.load(path, weights_only=True)["train"].shape == stored["train"].shape


def test_the_memory_cache_keeps_only_the_newest_entries() -> None:
    memory = teacher_cache.TeacherLogitsCache(size=2)
    for key in ("a", "b"):
        memory.put(key, torch.full((1,), ord(key)), torch.zeros(1))
    assert memory.get("a") is not None  # "a" is now the newest
    memory.put("c", torch.zeros(1), torch.zeros(1))
    assert memory.get("b") is None and memory.get("a") is not None and memory.get("c") is not None
