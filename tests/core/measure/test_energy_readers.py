"""Where the joules come from: RAPL files, NVML, or CPU time × a declared power."""
from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.measure.energy_readers import (CpuTimeEstimate, NvmlReader, RaplReader,
                                                   process_cpu_seconds, select_reader)

RANGE_UJ = 1_000_000  # a counter that wraps at 1 J, so a test can wrap it


def powercap(root: Path, packages: dict[int, int], sub_uj: int = 5_000_000) -> Path:
    """A fake /sys/class/powercap: package domains plus a sub-domain that must be ignored."""
    for index, energy_uj in packages.items():
        write_domain(root / f"intel-rapl:{index}", energy_uj)
    write_domain(root / "intel-rapl:0:0", sub_uj)  # cores of package 0: inside its figure
    return root


def write_domain(folder: Path, energy_uj: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "energy_uj").write_text(f"{energy_uj}\n")
    (folder / "max_energy_range_uj").write_text(f"{RANGE_UJ}\n")


class FakeNvml:
    """The few pynvml calls the reader makes; GPU energy in millijoules."""

    def __init__(self, millijoules: list[int], fails: bool = False) -> None:
        self.millijoules, self.fails = millijoules, fails

    def nvmlInit(self) -> None:  # noqa: N802 - pynvml's names
        if self.fails:
            raise RuntimeError("NVML Shared Library Not Found")

    def nvmlDeviceGetCount(self) -> int:  # noqa: N802
        return len(self.millijoules)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:  # noqa: N802
        return index

    def nvmlDeviceGetTotalEnergyConsumption(self, handle: int) -> int:  # noqa: N802
        if self.fails:
            raise RuntimeError("GPU is lost")
        return self.millijoules[handle]


def test_rapl_sums_the_packages_and_ignores_sub_domains(tmp_path: Path) -> None:
    root = powercap(tmp_path, {0: 100_000, 1: 200_000})
    reader = RaplReader.open(root)
    assert reader is not None and reader.method == "rapl"
    write_domain(root / "intel-rapl:0", 350_000)  # +0.25 J
    write_domain(root / "intel-rapl:1", 300_000)  # +0.10 J
    write_domain(root / "intel-rapl:0:0", 9_000_000)  # a sub-domain: never counted
    assert reader.joules() == pytest.approx(0.35)


def test_rapl_counts_through_a_wrap_around(tmp_path: Path) -> None:
    root = powercap(tmp_path, {0: 900_000})
    reader = RaplReader.open(root)
    assert reader is not None
    write_domain(root / "intel-rapl:0", 950_000)
    assert reader.joules() == pytest.approx(0.05)
    write_domain(root / "intel-rapl:0", 150_000)  # wrapped at 1 J: 0.05 + 0.15 more
    assert reader.joules() == pytest.approx(0.25)
    write_domain(root / "intel-rapl:0", 400_000)
    assert reader.joules() == pytest.approx(0.5)


def test_a_counter_unreadable_for_a_moment_is_counted_at_the_next_reading(tmp_path: Path) -> None:
    root = powercap(tmp_path, {0: 100_000})
    reader = RaplReader.open(root)
    assert reader is not None
    counter = root / "intel-rapl:0" / "energy_uj"
    counter.unlink()
    counter.mkdir()  # reading fails now
    assert reader.joules() == 0.0
    counter.rmdir()
    write_domain(root / "intel-rapl:0", 300_000)
    assert reader.joules() == pytest.approx(0.2)


def test_rapl_unreadable_or_missing_gives_no_reader(tmp_path: Path) -> None:
    assert RaplReader.open(tmp_path / "nothing") is None
    domain = tmp_path / "intel-rapl:0"
    domain.mkdir()
    (domain / "max_energy_range_uj").write_text(f"{RANGE_UJ}\n")
    (domain / "energy_uj").mkdir()  # reading it fails, as a root-only file does for a user
    assert RaplReader.open(tmp_path) is None


def test_nvml_reports_joules_since_it_was_opened_over_every_gpu() -> None:
    nvml = FakeNvml([10_000, 20_000])
    reader = NvmlReader.open(nvml)
    assert reader is not None and reader.method == "nvml"
    nvml.millijoules[:] = [11_500, 22_000]
    assert reader.joules() == pytest.approx(3.5)
    nvml.fails = True  # the GPU stops answering: the last reading stands
    assert reader.joules() == pytest.approx(3.5)
    assert NvmlReader.open(FakeNvml([1], fails=True)) is None
    assert NvmlReader.open(FakeNvml([])) is None  # a driver without GPUs


def test_selection_order_rapl_then_nvml_then_estimate(tmp_path: Path) -> None:
    readable = powercap(tmp_path / "ok", {0: 0})
    unreadable = tmp_path / "locked"
    (unreadable / "intel-rapl:0" / "energy_uj").mkdir(parents=True)
    assert select_reader(rapl_root=readable, nvml=FakeNvml([0])).method == "rapl"
    assert select_reader(rapl_root=unreadable, nvml=FakeNvml([0])).method == "nvml"
    assert select_reader(rapl_root=unreadable,
                         nvml=FakeNvml([0], fails=True)).method == "estimate"
    # On a GPU the GPU does the work: NVML first, RAPL when NVML cannot be read.
    assert select_reader(gpu=True, rapl_root=readable, nvml=FakeNvml([0])).method == "nvml"
    assert select_reader(gpu=True, rapl_root=readable,
                         nvml=FakeNvml([0], fails=True)).method == "rapl"


def test_estimate_is_cpu_seconds_times_watts_per_core() -> None:
    clock = iter([100.0, 102.5, 104.0])
    estimate = CpuTimeEstimate(watts_per_core=8.0, cpu_seconds=lambda: next(clock))
    assert estimate.method == "estimate"
    assert estimate.joules() == pytest.approx(2.5 * 8.0)
    assert estimate.joules() == pytest.approx(4.0 * 8.0)


def test_the_default_estimate_reads_this_process_cpu_time() -> None:
    estimate = CpuTimeEstimate(watts_per_core=10.0)
    lower = process_cpu_seconds()
    sum(i * i for i in range(300_000))  # some CPU work between the readings
    joules = estimate.joules()
    upper = process_cpu_seconds()
    assert (lower - estimate.start) * 10.0 <= joules <= (upper - estimate.start) * 10.0
