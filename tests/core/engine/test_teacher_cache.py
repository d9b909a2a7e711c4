"""Teacher logits are computed once, then served from memory and from disk."""
from __future__ import annotations

from pathlib import Path
from typing import Any

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


def run_and_get_origin() -> tuple[str, str]:
    events: list[Any] = []
    run_experiment(tiny_preset("train.epochs=1", "train.baseline=false"),
                   callbacks=[events.append])
    return cache_origin(events)


def test_a_second_run_reuses_the_teacher_logits(isolated_folders: dict[str, Path]) -> None:
    first, key = run_and_get_origin()
    assert first == "computed"
    cached = isolated_folders["cache"] / "teacher-logits" / f"{key}.pt"
    assert cached.is_file()
    assert run_and_get_origin() == ("memory", key)
    teacher_cache.clear_memory_cache()
    assert run_and_get_origin() == ("disk", key)


def test_memory_disk_and_recompute_paths(tmp_path: Path) -> None:
    torch.manual_seed(0)
    teacher = nn.Linear(4, 3)
    train, test = torch.randn(10, 4), torch.randn(5, 4)
    first = teacher_cache.teacher_logits(teacher, train, test, "k1", tmp_path)
    assert first[2] == "computed"
    torch.testing.assert_close(first[0], teacher(train).detach())
    assert teacher_cache.cache_path("k1", tmp_path).is_file()
    second = teacher_cache.teacher_logits(teacher, train, test, "k1", tmp_path)
    assert second[2] == "memory" and torch.equal(second[0], first[0])
    teacher_cache.clear_memory_cache()
    third = teacher_cache.teacher_logits(teacher, train, test, "k1", tmp_path)
    assert third[2] == "disk" and torch.equal(third[1], first[1])


def test_a_corrupt_or_mismatched_cache_file_is_recomputed(tmp_path: Path) -> None:
    teacher = nn.Linear(4, 3)
    train, test = torch.randn(10, 4), torch.randn(5, 4)
    path = teacher_cache.cache_path("k2", tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a torch file")
    assert teacher_cache.teacher_logits(teacher, train, test, "k2", tmp_path)[2] == "computed"
    teacher_cache.clear_memory_cache()
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
