"""Size and speed of a model, measured the same way everywhere (CLI, GUI, run store).

Latency is timed at batch 1 after warm-up with a fixed, reported thread count;
the thread count of the calling thread is restored afterwards.
"""
from __future__ import annotations

import io
import os
import platform
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import torch
from torch import nn


@dataclass(frozen=True, slots=True)
class Latency:
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    repeats: int
    threads: int


@contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """Run a block with ``threads`` intra-op threads, then restore the previous count."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def parameter_count(model: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def serialized_size(model: nn.Module) -> int:
    """Bytes of the state dict as ``torch.save`` writes it (what a checkpoint costs on disk)."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.tell()


def _percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


@torch.inference_mode()
def measure_latency(model: nn.Module, input_shape: tuple[int, ...], repeats: int = 100,
                    warmup: int = 10, threads: int = 1) -> Latency:
    """Batch-1 CPU latency percentiles in milliseconds."""
    model = model.eval()
    sample = torch.randn(1, *input_shape)
    with torch_threads(threads):
        for _ in range(warmup):
            model(sample)
        timings = []
        for _ in range(repeats):
            start = time.perf_counter()
            model(sample)
            timings.append((time.perf_counter() - start) * 1000.0)
    ordered = sorted(timings)
    return Latency(statistics.median(ordered), _percentile(ordered, 0.95),
                   _percentile(ordered, 0.99), statistics.fmean(ordered), repeats, threads)


@torch.inference_mode()
def measure_throughput(model: nn.Module, input_shape: tuple[int, ...], batch_size: int = 512,
                       threads: int = 1, min_seconds: float = 0.2) -> float:
    """Samples per second at ``batch_size`` (at least 3 timed batches, ~``min_seconds``)."""
    model = model.eval()
    batch = torch.randn(batch_size, *input_shape)
    with torch_threads(threads):
        model(batch)
        count, start = 0, time.perf_counter()
        while count < 3 or time.perf_counter() - start < min_seconds:
            model(batch)
            count += 1
        elapsed = time.perf_counter() - start
    return count * batch_size / elapsed


def machine_info() -> dict[str, object]:
    """What the numbers were measured on; stored with every result."""
    return {"cpu": _cpu_name(), "cores": os.cpu_count(), "torch": torch.__version__,
            "python": platform.python_version(), "platform": platform.platform(terse=True)}


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def latency_dict(latency: Latency) -> dict[str, float]:
    return asdict(latency)
