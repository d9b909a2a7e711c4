"""The energy bill: joules per phase, total, CO2, energy per 1,000 predictions."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from workbench.core.measure.energy import (EnergyMeter, add_inference_energy, co2_grams,
                                           energy_summary, inference_joules_per_1k)
from workbench.core.measure.energy_readers import CpuTimeEstimate
from workbench.core.stream.events import EpochEnded, PhaseEnded


class Counter:
    """A reader whose joules the test sets by hand."""

    method = "rapl"

    def __init__(self) -> None:
        self.value = 0.0

    def joules(self) -> float:
        return self.value


def test_each_phase_gets_its_own_joules_and_the_total_is_their_sum() -> None:
    counter = Counter()
    meter = EnergyMeter(counter)
    for phase, used in (("teacher", 50.0), ("cache", 5.0), ("student", 20.0),
                        ("baseline", 18.0), ("benchmark", 2.0), ("student-qat", 7.0)):
        with meter.phase(phase):
            counter.value += used
        counter.value += 1000.0  # between phases: charged to none
    bill = meter.summary(grid_intensity_g_per_kwh=400.0)
    assert bill["teacher_j"] == 50.0 and bill["cache_j"] == 5.0 and bill["student_j"] == 20.0
    assert bill["baseline_j"] == 18.0 and bill["benchmark_j"] == 2.0
    assert bill["student-qat_j"] == 7.0
    assert bill["total_j"] == pytest.approx(102.0)
    assert bill["method"] == "rapl" and bill["grid_intensity_g_per_kwh"] == 400.0
    assert bill["co2_g"] == pytest.approx(102.0 / 3.6e6 * 400.0)


def test_phases_not_run_are_zero_and_keys_are_always_there() -> None:
    bill = energy_summary({"student": 3.0}, "estimate", 480.0)
    assert {"teacher_j", "cache_j", "student_j", "baseline_j", "benchmark_j", "total_j",
            "method", "co2_g", "grid_intensity_g_per_kwh"} <= set(bill)
    assert bill["teacher_j"] == 0.0 and bill["total_j"] == 3.0


def test_co2_is_kilowatt_hours_times_grid_intensity() -> None:
    assert co2_grams(3.6e6, 480.0) == pytest.approx(480.0)  # 1 kWh
    assert co2_grams(7.2e6, 0.0) == 0.0


def test_phase_ended_carries_its_phase_energy_other_events_pass_unchanged() -> None:
    counter = Counter()
    meter = EnergyMeter(counter)
    epoch = EpochEnded("student", 1, {"val_acc": 0.5})
    with meter.phase("student"):
        counter.value = 12.5
        ended = meter.annotate(PhaseEnded("student", 1.0, {"best_epoch": 1}))
        assert meter.annotate(epoch) is epoch
    assert ended.metrics == {"best_epoch": 1, "energy_j": 12.5}
    outside = PhaseEnded("cache", 1.0, {})
    assert meter.annotate(outside) is outside


class PerForward:
    """A reader charging 0.5 J per forward pass of ``model`` (counted by a hook)."""

    method = "rapl"

    def __init__(self, model: nn.Module) -> None:
        self.forwards = 0
        model.register_forward_hook(lambda *_: self._count())

    def _count(self) -> None:
        self.forwards += 1

    def joules(self) -> float:
        return 0.5 * self.forwards


def test_energy_per_1k_predictions_is_the_counter_around_the_throughput_loop() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 3))
    reader = PerForward(model)
    # 0.5 J per batch of 50 (the warm-up batch not counted): 10 J per 1,000, however many ran
    assert inference_joules_per_1k(model, (1, 3, 4), 50, 1, reader) == pytest.approx(10.0)


def test_every_row_with_a_model_gets_its_figure_int8_rows_from_the_float_model() -> None:
    torch.manual_seed(0)
    student = nn.Sequential(nn.Flatten(), nn.Linear(12, 3))
    figures = {"student": {}, "student-int8": {}, "teacher": {}}  # teacher: recorded outputs
    add_inference_energy(figures, {"student": student}, CpuTimeEstimate(watts_per_core=4.0),
                         {"throughput_batch": 16, "threads": 1}, (1, 3, 4))
    assert figures["student"]["energy_per_1k_j"] > 0
    assert figures["student-int8"]["energy_per_1k_j"] > 0
    assert figures["teacher"]["energy_per_1k_j"] is None


def test_the_report_line_names_the_method_and_each_phase_that_ran() -> None:
    from workbench.core.measure.energy import describe_energy

    line = describe_energy(energy_summary({"student": 3.0, "baseline": 1.5}, "estimate", 480.0))
    assert line is not None and line.startswith("energy: 4.5 J (estimated from CPU time)")
    assert "student 3 J, baseline 1.5 J" in line and "teacher" not in line
    assert "at 480 g/kWh" in line
    assert describe_energy(None) is None and describe_energy({"method": "rapl"}) is None
