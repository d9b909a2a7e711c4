"""The energy bill of a run: joules per phase, their total, and grams of CO2.

The pipeline wraps each phase in ``EnergyMeter.phase``; events pass through
``EnergyMeter.annotate`` so a ``PhaseEnded`` carries its phase's ``energy_j`` and
long phases read the counters often enough to notice each wrap-around.
"""
from __future__ import annotations

import copy
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import torch
from torch import nn

from workbench.core.measure.energy_readers import CpuTimeEstimate, EnergyReader
from workbench.core.measure.machine import torch_threads
from workbench.core.measure.quantize import INT8_SUFFIX, quantize_dynamic_int8
from workbench.core.stream.events import PhaseEnded

PHASES = ("teacher", "cache", "student", "baseline", "benchmark")
JOULES_PER_KWH = 3.6e6
_REFRESH_S = 1.0  # read the counters at least this often while events arrive


def co2_grams(joules: float, grid_intensity_g_per_kwh: float) -> float:
    """kWh × grams of CO2 per kWh."""
    return joules / JOULES_PER_KWH * grid_intensity_g_per_kwh


def energy_summary(phase_joules: Mapping[str, float], method: str,
                   grid_intensity_g_per_kwh: float) -> dict[str, Any]:
    """The summary's ``energy``: every phase (0.0 when not run), total, method, CO2."""
    bill: dict[str, Any] = {f"{phase}_j": 0.0 for phase in PHASES}
    bill.update({f"{phase}_j": float(joules) for phase, joules in phase_joules.items()})
    total = sum(float(joules) for joules in phase_joules.values())
    bill.update({"total_j": total, "method": method,
                 "co2_g": co2_grams(total, grid_intensity_g_per_kwh),
                 "grid_intensity_g_per_kwh": float(grid_intensity_g_per_kwh)})
    return bill


class EnergyMeter:
    """Joules of each named phase of one run, from one reader."""

    def __init__(self, reader: EnergyReader | None = None) -> None:
        self.reader: EnergyReader = reader if reader is not None else CpuTimeEstimate()
        self.phase_joules: dict[str, float] = {}
        self._phase_start: float | None = None
        self._last_read = time.monotonic()

    @property
    def method(self) -> str:
        return self.reader.method

    def _read(self) -> float:
        self._last_read = time.monotonic()
        return self.reader.joules()

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Count the block's joules as phase ``name`` (added up if a name comes twice)."""
        start = self._phase_start = self._read()
        try:
            yield
        finally:
            used = self._read() - start
            self.phase_joules[name] = self.phase_joules.get(name, 0.0) + used
            self._phase_start = None

    def so_far(self) -> float:
        """Joules since the current phase began (0.0 outside a phase)."""
        return 0.0 if self._phase_start is None else self._read() - self._phase_start

    def annotate(self, event: Any) -> Any:
        """A ``PhaseEnded`` gains ``energy_j``; other events only keep the counters fresh."""
        if isinstance(event, PhaseEnded) and self._phase_start is not None:
            return replace(event, metrics={**event.metrics, "energy_j": self.so_far()})
        if time.monotonic() - self._last_read >= _REFRESH_S:
            self._read()
        return event

    def summary(self, grid_intensity_g_per_kwh: float) -> dict[str, Any]:
        return energy_summary(self.phase_joules, self.method, grid_intensity_g_per_kwh)


@torch.inference_mode()
def inference_joules_per_1k(model: nn.Module, input_shape: tuple[int, ...], batch_size: int,
                            threads: int, reader: EnergyReader,
                            min_seconds: float = 0.25) -> float | None:
    """Joules per 1,000 predictions: the reader's counter around a throughput loop (batches
    of ``batch_size`` on ``threads`` CPU threads, at least 3 batches and ``min_seconds``).

    With the estimate this counts the process's CPU time, so a busy machine slows the
    loop without inflating the figure; RAPL counts the whole package (others' work too).
    """
    model = model.eval()
    batch = torch.randn(batch_size, *input_shape)
    with torch_threads(threads):
        model(batch)  # warm-up, not counted
        count, start, joules = 0, time.perf_counter(), reader.joules()
        while count < 3 or time.perf_counter() - start < min_seconds:
            model(batch)
            count += 1
        used = reader.joules() - joules
    return used * 1000.0 / (count * batch_size) if used > 0 else None


def _on_cpu(model: nn.Module) -> nn.Module:
    on_cpu = all(tensor.device.type == "cpu" for tensor in model.state_dict().values()
                 if isinstance(tensor, torch.Tensor))
    return model if on_cpu else copy.deepcopy(model).cpu()


def add_inference_energy(figures: Mapping[str, dict[str, Any]], models: Mapping[str, nn.Module],
                         reader: EnergyReader, settings: Mapping[str, Any],
                         input_shape: tuple[int, ...]) -> None:
    """``energy_per_1k_j`` of every row whose model is at hand (``X-int8`` rows: X in
    dynamic int8 again, as the benchmark measured it); None for the others (recorded
    outputs have no model to run).

    Args:
        settings: the preset's ``compare`` section (throughput_batch, threads).
    """
    for name, entry in figures.items():
        if entry.get("shared_from") is not None:  # measured by an earlier run of the sweep
            continue
        model = models.get(name)
        if model is None and name.endswith(INT8_SUFFIX) and name[:-len(INT8_SUFFIX)] in models:
            model = quantize_dynamic_int8(models[name[:-len(INT8_SUFFIX)]]).model
        entry["energy_per_1k_j"] = None if model is None else inference_joules_per_1k(
            _on_cpu(model), input_shape, settings["throughput_batch"], settings["threads"],
            reader)


def describe_energy(bill: Mapping[str, Any] | None) -> str | None:
    """One line for a report: total, how it was obtained, CO2, and each phase that ran."""
    if not isinstance(bill, Mapping) or not isinstance(bill.get("total_j"), (int, float)):
        return None
    how = {"rapl": "measured, CPU package RAPL", "nvml": "measured, GPU NVML",
           "estimate": "estimated from CPU time"}.get(str(bill.get("method")), "?")
    phases = ", ".join(f"{key[:-2]} {value:,.3g} J" for key, value in bill.items()
                       if key.endswith("_j") and key != "total_j"
                       and isinstance(value, (int, float)) and value > 0)
    co2 = bill.get("co2_g")
    return (f"energy: {bill['total_j']:,.4g} J ({how})"
            + (f", {co2:.3g} g CO2 at {bill.get('grid_intensity_g_per_kwh', 0):g} g/kWh"
               if isinstance(co2, (int, float)) else "")
            + (f"; {phases}" if phases else ""))
