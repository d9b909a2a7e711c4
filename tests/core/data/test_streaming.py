"""Streamed training images: the same batches as in memory, read by worker processes."""
from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from workbench.core.config.section import Section
from workbench.core.data import streaming
from workbench.core.data.batches import Progress, TrainSet
from workbench.core.data.dataset import normalize
from workbench.core.data.streamed_batches import StreamedTrainSet, streamed
from workbench.core.data.streaming import (MiB, StreamedImages, memory_limit_bytes,
                                           should_stream, stream_inputs)
from workbench.core.errors import PresetError

ROWS = 600


@pytest.fixture(scope="module")
def images() -> torch.Tensor:
    return torch.randint(0, 256, (ROWS, 1, 8, 8), dtype=torch.uint8,
                         generator=torch.Generator().manual_seed(3))


class PidRecorder:
    """Normalizes as the in-memory path does and notes which process ran it (picklable)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __call__(self, raw: torch.Tensor) -> torch.Tensor:
        (self.folder / f"pid-{os.getpid()}").touch()
        return normalize(raw, "fashion-mnist")


def _streamed(images: torch.Tensor, tmp_path: Path) -> StreamedImages:
    return stream_inputs(images, "test-images", PidRecorder(tmp_path), tmp_path / "cache")


def test_streamed_images_read_as_the_normalized_tensor(images: torch.Tensor,
                                                       tmp_path: Path) -> None:
    in_memory = normalize(images, "fashion-mnist")
    view = _streamed(images, tmp_path)
    rows = torch.tensor([5, 0, 599, 5])
    assert view.shape == in_memory.shape
    assert torch.equal(view.index_select(0, rows), in_memory.index_select(0, rows))
    assert torch.equal(view[rows], in_memory[rows])
    assert torch.equal(view[10:20], in_memory[10:20])
    assert torch.equal(torch.cat(list(view.split(256))), in_memory)


def _epochs(train_set: TrainSet, epochs: int = 2, steps: int | None = None) -> list:
    generator = torch.Generator().manual_seed(11)
    batches = []
    for epoch in range(epochs):
        first = Progress(epoch * 5, 10, 5)
        for positions in train_set.positions(64, steps or 10, first, generator):
            batches.append(train_set.take(positions, first))
    return batches


def test_streamed_batches_are_the_in_memory_ones_in_the_same_order(
        images: torch.Tensor, tmp_path: Path) -> None:
    labels = torch.arange(ROWS) % 10
    rows = torch.arange(50, ROWS)
    extras = {"probs": torch.rand(ROWS, 10, generator=torch.Generator().manual_seed(1))}
    in_memory = TrainSet(normalize(images, "fashion-mnist"), labels, rows, extras)
    reader = streamed(TrainSet(_streamed(images, tmp_path), labels, rows, extras), workers=2)
    assert isinstance(reader, StreamedTrainSet)
    try:
        expected, got = _epochs(in_memory), _epochs(reader)
    finally:
        reader.close()
    assert len(got) == len(expected) == 20
    for want, batch in zip(expected, got):
        assert torch.equal(batch.positions, want.positions)
        assert torch.equal(batch.inputs, want.inputs)  # bit-identical, not just close
        assert torch.equal(batch.labels, want.labels)
        assert torch.equal(batch.extras["probs"], want.extras["probs"])
    # every batch came from the workers, which are other processes than this one
    assert reader.feed.reads == 20
    pids = {int(path.name.removeprefix("pid-")) for path in tmp_path.glob("pid-*")}
    assert pids and os.getpid() not in pids


def test_chained_passes_and_unannounced_positions_still_give_the_right_rows(
        images: torch.Tensor, tmp_path: Path) -> None:
    labels = torch.arange(ROWS) % 10
    rows = torch.arange(100)  # 2 natural steps of 64: 10 steps chain several passes
    in_memory = TrainSet(normalize(images, "fashion-mnist"), labels, rows)
    reader = streamed(TrainSet(_streamed(images, tmp_path), labels, rows), workers=1)
    try:
        assert all(torch.equal(a.inputs, b.inputs)
                   for a, b in zip(_epochs(in_memory, 1), _epochs(reader, 1)))
        odd = torch.tensor([3, 1, 2])  # never announced: read in this process, same rows
        assert torch.equal(reader.take(odd).inputs, in_memory.take(odd).inputs)
    finally:
        reader.close()


def test_in_memory_train_sets_are_left_as_they_are(images: torch.Tensor) -> None:
    train_set = TrainSet(normalize(images, "fashion-mnist"), torch.zeros(ROWS, dtype=torch.long),
                         torch.arange(ROWS))
    assert streamed(train_set, workers=2) is train_set


def _data(**values: object) -> Section:
    return Section({"memory_limit_mb": None, **values})


def test_the_limit_in_mib_and_auto_as_half_the_available_memory(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert memory_limit_bytes(_data(memory_limit_mb=3)) == 3 * MiB
    monkeypatch.setattr(streaming.psutil, "virtual_memory",
                        lambda: SimpleNamespace(available=1000 * MiB))
    assert memory_limit_bytes(_data()) == 500 * MiB
    # 28x28 images take 5 bytes a pixel in memory: 1 MiB holds 267 of them
    assert not should_stream(267, (1, 28, 28), _data(memory_limit_mb=1))
    assert should_stream(268, (1, 28, 28), _data(memory_limit_mb=1))


@pytest.mark.parametrize("value, message", [
    ("0", "data.memory_limit_mb: must be an integer >= 1"),
    ("lots", "data.memory_limit_mb: must be an integer"),
    ("-5", "data.memory_limit_mb: must be an integer >= 1"),
])
def test_a_bad_memory_limit_is_refused_naming_the_field(value: str, message: str) -> None:
    from workbench.core.presets import load_experiment

    with pytest.raises(PresetError) as caught:
        load_experiment("synthetic-quick", overrides=[f"data.memory_limit_mb={value}"])
    assert message in str(caught.value)


def test_workers_and_cache_options_are_declared_params() -> None:
    from workbench.core.presets import load_experiment

    with pytest.raises(PresetError) as caught:
        load_experiment("synthetic-quick", overrides=["data.workers=-1",
                                                      "data.cache_dtype=float8",
                                                      "data.cache_top_k=-2"])
    text = str(caught.value)
    assert "data.workers: must be an integer >= 0" in text
    assert "data.cache_dtype: must be one of float16, float32" in text
    assert "data.cache_top_k: must be an integer >= 0" in text


def test_workers_by_default_only_where_they_get_a_core_of_their_own() -> None:
    from workbench.core.data.streamed_batches import auto_workers

    assert auto_workers(cores=2, threads=1) == 0  # they would only take the training core
    assert auto_workers(cores=4, threads=2) == 1
    assert auto_workers(cores=16, threads=4) == 2
