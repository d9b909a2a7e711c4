"""Size and speed figures: measured the same way everywhere, never flattering."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from workbench.core.measure.machine import torch_threads
from workbench.core.measure.size import parameter_count, serialized_size
from workbench.core.measure.speed import measure_latency, measure_throughput
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


# --- FLOPs, memory, files, machine ------------------------------------------------------

from workbench.core.measure.machine import describe_machine, machine_info  # noqa: E402
from workbench.core.measure.size import file_size, flops_per_sample, peak_memory  # noqa: E402

SHAPE = (1, 28, 28)


def test_flops_count_two_per_multiply_add_of_every_linear_layer() -> None:
    assert flops_per_sample(mlp(8), SHAPE) == 2 * (784 * 8 + 8 * 10)


def test_peak_memory_is_weights_plus_input_plus_live_activations() -> None:
    model = mlp(8)
    weights = 4 * parameter_count(model)
    activations = 4 * (8 + 10)  # hidden layer (ReLU in place) and logits
    assert peak_memory(model, SHAPE) == weights + 4 * 784 + activations
    assert peak_memory(model, SHAPE, batch_size=16) == weights + 16 * (4 * 784 + activations)


def test_peak_memory_counts_the_largest_set_of_activations_alive_at_once() -> None:
    conv = build_model("cnn", {"channels": [4], "convs_per_block": 1, "batch_norm": False,
                               "hidden": 0}, SHAPE, 10)
    weights = 4 * parameter_count(conv)
    feature_map = 4 * 4 * 28 * 28  # the conv output, before pooling frees it
    assert peak_memory(conv, SHAPE) >= weights + 4 * 784 + feature_map


def test_a_hundred_times_larger_model_is_never_reported_smaller_or_faster() -> None:
    small, large = mlp(8), mlp(800)
    assert flops_per_sample(large, SHAPE) >= 95 * flops_per_sample(small, SHAPE)
    assert peak_memory(large, SHAPE) > 50 * peak_memory(small, SHAPE)
    latency = {name: measure_latency(model, SHAPE, repeats=15, warmup=2, threads=1).p50_ms
               for name, model in (("small", small), ("large", large))}
    assert latency["large"] > latency["small"]
    throughput = {name: measure_throughput(model, SHAPE, batch_size=64, threads=1,
                                           min_seconds=0.0)
                  for name, model in (("small", small), ("large", large))}
    assert throughput["large"] < throughput["small"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_figures_work_on_a_torchscript_model() -> None:
    model = mlp(8).eval()
    scripted = torch.jit.script(model)
    assert flops_per_sample(scripted, SHAPE) == flops_per_sample(model, SHAPE)
    assert peak_memory(scripted, SHAPE) == peak_memory(model, SHAPE)
    assert measure_latency(scripted, SHAPE, repeats=3, warmup=1).p50_ms > 0


def test_file_size_is_the_size_on_disk(tmp_path: Path) -> None:
    path, model = tmp_path / "model.pt", mlp(4)
    with open(path, "wb") as handle:
        torch.save(model.state_dict(), handle)
    assert file_size(path) == path.stat().st_size == serialized_size(model)


def test_machine_info_reports_the_timing_threads() -> None:
    info = machine_info(threads=1)
    assert info["threads"] == 1 and info["torch"] == torch.__version__
    assert info["cores"] and info["cpu"]
    assert "threads" not in machine_info()
    line = describe_machine(info)
    assert "1 thread" in line and torch.__version__ in line
    assert "3 threads" in describe_machine(machine_info(), threads=3)
