"""The one-line verdict at the end of a run."""
from __future__ import annotations

from workbench.core.measure.verdict import verdict


def models(student: float, baseline: float | None) -> dict:
    found = {"teacher": {"accuracy": 0.9, "params": 1000, "latency_ms": 1.0},
             "student": {"accuracy": student, "params": 100, "latency_ms": 0.25}}
    if baseline is not None:
        found["baseline"] = {"accuracy": baseline, "params": 100, "latency_ms": 0.25}
    return {"models": found}


def test_a_student_below_the_baseline_is_said_to_be_below():
    line = verdict(models(0.80, 0.83))
    assert line.startswith("Distilled student 80.00% scores 3.00 points below the baseline "
                           "(83.00%)")
    assert "keeps 88.9% of the teacher's accuracy" in line
    assert "10.0x smaller" in line and "4.0x faster" in line


def test_better_equal_and_no_baseline():
    assert "beats the baseline by 2.00 points" in verdict(models(0.85, 0.83))
    assert "matches the baseline" in verdict(models(0.83, 0.83))
    assert "(no baseline trained)" in verdict(models(0.83, None))


def test_no_student_no_verdict():
    assert verdict({"models": {"teacher": {"accuracy": 0.9}}}) is None
    assert verdict({}) is None
