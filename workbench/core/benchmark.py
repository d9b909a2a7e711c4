"""Size and speed of a model, measured the same way everywhere (CLI, GUI, run store).

One function per figure. Latency is timed at batch 1 after warm-up with a
fixed, reported thread count (the calling thread's count is restored
afterwards); FLOPs come from torch's own counter; memory is counted from the
tensors a forward pass keeps alive, so every figure is reproducible.
"""
from __future__ import annotations

import gc
import io
import os
import platform
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from workbench.core.memory import forward_peak_bytes


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


def parameter_count(model: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def serialized_size(model: nn.Module) -> int:
    """Bytes of the state dict as ``torch.save`` writes it (what a checkpoint costs on disk)."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.tell()


def file_size(path: str | Path) -> int:
    """Bytes of a file on disk (an exported model, a checkpoint)."""
    return Path(path).stat().st_size


def sample_input(input_shape: tuple[int, ...], batch_size: int = 1) -> torch.Tensor:
    """A fixed-seed random batch, so FLOPs and memory are the same on every call."""
    generator = torch.Generator().manual_seed(0)
    return torch.randn(batch_size, *input_shape, generator=generator)


@torch.inference_mode()
def flops_per_sample(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """FLOPs of one batch-1 forward pass, by ``torch.utils.flop_counter.FlopCounterMode``.

    A multiply-add counts as 2 FLOPs (MACs = FLOPs / 2). Operators the counter has
    no formula for (quantized kernels, element-wise ops) count as 0.
    """
    model = model.eval()
    with FlopCounterMode(display=False) as counter:
        model(sample_input(input_shape))
    return int(counter.get_total_flops())


@torch.inference_mode()
def peak_memory(model: nn.Module, input_shape: tuple[int, ...], batch_size: int = 1) -> int:
    """Peak bytes of inference: weights + input + the activations alive at once.

    Counted from tensor storages, not the allocator, so it does not depend on the
    machine's allocator or on what else the process holds.
    """
    model = model.eval()
    return forward_peak_bytes(model, sample_input(input_shape, batch_size))


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


def machine_info(threads: int | None = None) -> dict[str, object]:
    """What the numbers were measured on; stored with every result.

    Args:
        threads: the intra-op thread count the timings used (added when given).
    """
    info: dict[str, object] = {"cpu": _cpu_name(), "cores": os.cpu_count(),
                               "torch": torch.__version__,
                               "python": platform.python_version(),
                               "platform": platform.platform(terse=True)}
    if threads is not None:
        info["threads"] = threads
    return info


def describe_machine(info: dict[str, object], threads: int | None = None) -> str:
    """One line for a report: ``Intel Xeon ..., 2 cores, torch 2.13.0, 1 thread``."""
    count = info.get("threads", threads)
    parts = [str(info.get("cpu", "unknown CPU")), f"{info.get('cores', '?')} cores",
             f"torch {info.get('torch', '?')}"]
    if count is not None:
        parts.append(f"{count} thread" + ("" if count == 1 else "s"))
    return ", ".join(parts)


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
