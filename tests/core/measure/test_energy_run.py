"""The energy bill of real (tiny) runs: keys, sums, PhaseEnded figures, monotone in work."""
from __future__ import annotations

from typing import Any

import pytest

from tests.core.conftest import tiny_preset
from workbench.core.engine import pipeline
from workbench.core.engine.pipeline import run_experiment
from workbench.core.measure.energy_readers import CpuTimeEstimate
from workbench.core.stream.events import PhaseEnded

PHASE_KEYS = ("teacher_j", "cache_j", "student_j", "baseline_j", "benchmark_j")


def test_the_summary_bills_every_phase_and_the_total_is_their_sum(tiny_run: Any) -> None:
    bill = tiny_run.result.summary["energy"]
    assert bill["method"] in ("rapl", "nvml", "estimate")
    assert all(bill[key] > 0 for key in PHASE_KEYS)  # the tiny run trains its teacher
    phases = [key for key in bill if key.endswith("_j") and key != "total_j"]
    assert set(PHASE_KEYS) <= set(phases)  # and any other phase the run had (green)
    assert bill["total_j"] == pytest.approx(sum(bill[key] for key in phases))
    assert bill["grid_intensity_g_per_kwh"] == tiny_run.preset.green["grid_intensity"]
    kilowatt_hours = bill["total_j"] / 3.6e6
    assert bill["co2_g"] == pytest.approx(kilowatt_hours * bill["grid_intensity_g_per_kwh"])


def test_each_phase_ended_carries_energy_and_each_model_its_inference_energy(tiny_run: Any) -> None:
    ended = {event.phase: event.metrics for event in tiny_run.events
             if isinstance(event, PhaseEnded)}
    bill = tiny_run.result.summary["energy"]
    for phase in ("teacher", "cache", "student", "baseline", "benchmark"):
        assert 0 < ended[phase]["energy_j"] <= bill[f"{phase}_j"] + 1e-9
    models = tiny_run.result.summary["models"]
    for name in ("teacher", "student", "student-int8", "baseline"):
        assert models[name]["energy_per_1k_j"] > 0
    # Same power, so energy per prediction follows throughput: the bigger teacher costs more.
    assert models["teacher"]["energy_per_1k_j"] > models["student"]["energy_per_1k_j"]


def test_more_epochs_cost_more_joules_with_the_cpu_time_estimate(
        monkeypatch: pytest.MonkeyPatch, memoized_synthetic: None) -> None:
    monkeypatch.setattr(pipeline, "select_reader", lambda gpu=False: CpuTimeEstimate())
    # The short run goes first and pays the process's warm-up: the order works against the claim.
    # (Totals are not compared: the second run finds the teacher's outputs already cached.)
    bills = [run_experiment(tiny_preset(f"train.epochs={epochs}", "teacher_train.epochs=1"))
             .summary["energy"] for epochs in (1, 6)]
    assert [bill["method"] for bill in bills] == ["estimate", "estimate"]
    assert bills[1]["student_j"] > bills[0]["student_j"]
    assert bills[1]["baseline_j"] > bills[0]["baseline_j"]
