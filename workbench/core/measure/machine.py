"""The machine a figure was measured on, and the thread count it was measured with."""
from __future__ import annotations

import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """Run a block with ``threads`` intra-op threads, then restore the previous count."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


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

