"""Where joules come from: the CPU's RAPL counters, NVML on a GPU, or an estimate.

Each reader answers ``joules()``: energy used since it was made, never falling.
RAPL and NVML measure the whole CPU package / GPU (other processes included); the
estimate counts this process's CPU time (its threads and waited-for children)
at a declared power per busy core. ``select_reader`` tries them in that order.

The counters are read directly: codecarbon and zeus would read the same files
but pull in pandas (and zeus scikit-learn and scipy) for ~40 lines of reading.
"""
from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

POWERCAP = Path("/sys/class/powercap")
# The estimate's figure: a current server CPU's TDP shared by its cores
# (AMD EPYC 7763: 280 W / 64 cores = 4.375 W per busy core). An estimate, not a measurement.
WATTS_PER_BUSY_CORE = 280.0 / 64


class EnergyReader(Protocol):
    """Energy used since the reader was made, in joules (monotone)."""

    method: str  # "rapl" | "nvml" | "estimate"

    def joules(self) -> float: ...


class RaplReader:
    """Sum of the CPU package domains (``intel-rapl:N``; AMD reports through the same files).

    Sub-domains (``intel-rapl:N:M``: cores, uncore, DRAM) are left out, so nothing is
    counted twice. Each counter wraps at ``max_energy_range_uj``; a smaller reading
    than the last one means it wrapped once since.
    """

    method = "rapl"

    def __init__(self, domains: list[Path]) -> None:
        self.domains = domains
        self.ranges = [int((d / "max_energy_range_uj").read_text()) for d in domains]
        self.last = [self._raw(d) for d in domains]
        self.total_uj = 0

    @staticmethod
    def _raw(domain: Path) -> int:
        return int((domain / "energy_uj").read_text())

    @classmethod
    def open(cls, root: Path = POWERCAP) -> RaplReader | None:
        """The reader, or None when no package counter is there or readable (often root-only)."""
        domains = sorted(path for path in root.glob("intel-rapl:*") if path.name.count(":") == 1)
        if not domains:
            return None
        try:
            return cls(domains)
        except (OSError, ValueError):
            return None

    def joules(self) -> float:
        for index, domain in enumerate(self.domains):
            try:
                raw = self._raw(domain)
            except (OSError, ValueError):
                continue  # unreadable for a moment: counted at the next good reading
            last = self.last[index]
            self.total_uj += raw - last if raw >= last else self.ranges[index] - last + raw
            self.last[index] = raw
        return self.total_uj / 1e6


class NvmlReader:
    """Total energy of every visible GPU from NVML (millijoule counters since driver load)."""

    method = "nvml"

    def __init__(self, nvml: Any) -> None:
        self.nvml = nvml
        self.handles = [nvml.nvmlDeviceGetHandleByIndex(i)
                        for i in range(nvml.nvmlDeviceGetCount())]
        self.start_mj = self.last_mj = self._total_mj()

    def _total_mj(self) -> int:
        return sum(int(self.nvml.nvmlDeviceGetTotalEnergyConsumption(h)) for h in self.handles)

    @classmethod
    def open(cls, nvml: Any | None = None) -> NvmlReader | None:
        """The reader, or None without nvidia-ml-py, a driver, a GPU, or its energy counter."""
        try:
            nvml = nvml if nvml is not None else importlib.import_module("pynvml")
            nvml.nvmlInit()
            reader = cls(nvml)
        except Exception:  # noqa: BLE001 - NVML raises its own error types; any means "none"
            return None
        return reader if reader.handles else None

    def joules(self) -> float:
        try:
            self.last_mj = self._total_mj()
        except Exception:  # noqa: BLE001 - a GPU that stopped answering: keep the last reading
            pass
        return (self.last_mj - self.start_mj) / 1e3


def process_cpu_seconds() -> float:
    """User + system CPU time of this process's threads and its waited-for children.

    ``time.process_time`` reads a nanosecond clock; psutil reads /proc in 10 ms ticks,
    too coarse for a quarter-second throughput loop.
    """
    children = os.times()
    return time.process_time() + children.children_user + children.children_system


class CpuTimeEstimate:
    """CPU seconds of this process × ``watts_per_core``: an estimate, stated as one."""

    method = "estimate"

    def __init__(self, watts_per_core: float = WATTS_PER_BUSY_CORE,
                 cpu_seconds: Callable[[], float] | None = None) -> None:
        self.watts_per_core = watts_per_core
        self.cpu_seconds = cpu_seconds or process_cpu_seconds
        self.start = self.cpu_seconds()

    def joules(self) -> float:
        return (self.cpu_seconds() - self.start) * self.watts_per_core


def select_reader(gpu: bool = False, rapl_root: Path = POWERCAP,
                  nvml: Any | None = None) -> EnergyReader:
    """RAPL, then NVML, then the estimate: the first that can be read.

    A run on a GPU asks NVML first: there the GPU does the work, and RAPL sees
    only the CPU that feeds it.
    """
    openers: list[Callable[[], EnergyReader | None]] = [
        lambda: RaplReader.open(rapl_root), lambda: NvmlReader.open(nvml)]
    for opener in (reversed(openers) if gpu else openers):
        reader = opener()
        if reader is not None:
            return reader
    return CpuTimeEstimate()
