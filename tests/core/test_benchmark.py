"""Size and speed figures: measured the same way everywhere, never flattering."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from workbench.core.benchmark import (measure_latency, measure_throughput, parameter_count,
                                      serialized_size, torch_threads)
from workbench.core.models import build_model


def mlp(hidden: int) -> nn.Module:
    return build_model("mlp", {"hidden": [hidden], "dropout": 0.0}, (1, 28, 28), 10)


@pytest.mark.parametrize("hidden", [4, 64])
def test_serialized_size_is_what_torch_save_writes(tmp_path: Path, hidden: int) -> None:
    model = mlp(hidden)
    path = tmp_path / "weights.pt"
    with open(path, "wb") as handle:
        torch.save(model.state_dict(), handle)
    assert serialized_size(model) == path.stat().st_size


def test_serialized_size_tracks_a_checkpoint_file_closely(tmp_path: Path) -> None:
    """Saved by path, the zip's record names follow the file name: a few bytes per tensor."""
    model = mlp(64)
    path = tmp_path / "student.pt"
    torch.save(model.state_dict(), path)
    assert abs(serialized_size(model) - path.stat().st_size) <= 64 * len(model.state_dict())


def test_a_hundred_times_larger_model_never_looks_smaller() -> None:
    small, large = mlp(8), mlp(800)
    assert parameter_count(large) >= 95 * parameter_count(small)
    assert serialized_size(large) > 50 * serialized_size(small)
    assert parameter_count(small) == sum(p.numel() for p in small.parameters())
    assert parameter_count(small) == 784 * 8 + 8 + 8 * 10 + 10


def test_trainable_only_skips_frozen_parameters() -> None:
    model = mlp(8)
    model[1].weight.requires_grad_(False)
    assert parameter_count(model, trainable_only=True) == parameter_count(model) - 784 * 8


def test_latency_percentiles_are_ordered() -> None:
    latency = measure_latency(mlp(8), (1, 28, 28), repeats=7, warmup=1, threads=1)
    assert latency.repeats == 7 and latency.threads == 1
    assert 0 < latency.p50_ms <= latency.p95_ms <= latency.p99_ms
    assert latency.mean_ms > 0


def test_throughput_is_positive() -> None:
    assert measure_throughput(mlp(8), (1, 28, 28), batch_size=8, threads=1,
                              min_seconds=0.0) > 0


def test_thread_count_is_restored_even_after_an_error() -> None:
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError):
        with torch_threads(1):
            assert torch.get_num_threads() == 1
            raise RuntimeError("boom")
    assert torch.get_num_threads() == before
    measure_latency(mlp(4), (1, 28, 28), repeats=2, warmup=0, threads=1)
    assert torch.get_num_threads() == before
