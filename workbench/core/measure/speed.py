"""Speed of a model: batch-1 latency after warm-up and large-batch throughput.

Latency is timed at batch 1 after warm-up with a fixed, reported thread count (the
calling thread's count is restored afterwards), with the garbage collector paused.
"""
from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import torch
from torch import nn

from workbench.core.measure.machine import torch_threads
from workbench.core.measure.size import sample_input


@dataclass(frozen=True, slots=True)
class Latency:
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    repeats: int
    threads: int
    p25_ms: float = 0.0  # the interquartile range: how far two timings of one model spread
    p75_ms: float = 0.0


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Keep the garbage collector from landing inside a timed call (as ``timeit`` does)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


@torch.inference_mode()
def measure_latency(model: nn.Module, input_shape: tuple[int, ...], repeats: int = 100,
                    warmup: int = 10, threads: int = 1) -> Latency:
    """Batch-1 CPU latency percentiles in milliseconds (garbage collector paused)."""
    model = model.eval()
    sample = torch.randn(1, *input_shape)
    with torch_threads(threads), _gc_paused():
        for _ in range(warmup):
            model(sample)
        timings = []
        clock = time.perf_counter
        for _ in range(repeats):
            start = clock()
            model(sample)
            timings.append((clock() - start) * 1000.0)
    ordered = sorted(timings)
    return Latency(statistics.median(ordered), _percentile(ordered, 0.95),
                   _percentile(ordered, 0.99), statistics.fmean(ordered), repeats, threads,
                   _percentile(ordered, 0.25), _percentile(ordered, 0.75))


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


def latency_dict(latency: Latency) -> dict[str, float]:
    return asdict(latency)

