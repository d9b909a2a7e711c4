"""Repeated runs: grouping by configuration (seed left out), curve bands, Compare's rows."""
from __future__ import annotations

import math

import pytest

from workbench.core.sweep.repeats import curve_band, group_labels, group_repeats, repeat_rows


def _config(alpha: float, seed: int, name: str = "kd") -> dict:
    return {"name": name, "distill": {"alpha": alpha, "temperature": 4.0},
            "train": {"epochs": 3, "seed": seed, "threads": None}}


def test_runs_that_differ_only_in_seed_or_name_are_one_configuration() -> None:
    configs = [_config(0.5, 0), _config(0.1, 0), _config(0.5, 1, name="other"),
               _config(0.5, 2), _config(0.1, 7), {}, {}]
    assert group_repeats(configs) == [[0, 2, 3], [1, 4], [5], [6]]


def test_groups_are_labelled_by_what_sets_them_apart() -> None:
    configs = [_config(0.5, 0), _config(0.1, 0), _config(0.5, 1, name="other")]
    groups = group_repeats(configs)
    assert group_labels(configs, groups) == ["alpha=0.5", "alpha=0.1"]
    assert group_labels(configs[:1], group_repeats(configs[:1])) == [""]


def test_the_band_is_mean_and_sample_std_at_each_epoch() -> None:
    curves = [([1, 2, 3], [0.60, 0.70, 0.80]),
              ([1, 2, 3], [0.62, 0.74, 0.80]),
              ([1, 2], [0.64, 0.78])]  # stopped after epoch 2
    band = curve_band(curves)
    assert band.epochs == (1.0, 2.0, 3.0)
    assert band.n == (3, 3, 2)
    assert band.mean == pytest.approx((0.62, 0.74, 0.80))
    assert band.std == pytest.approx((0.02, 0.04, 0.0))
    assert band.lower == pytest.approx((0.60, 0.70, 0.80))
    assert band.upper == pytest.approx((0.64, 0.78, 0.80))


def test_non_finite_points_are_left_out_of_the_band() -> None:
    band = curve_band([([1], [0.5]), ([1], [math.nan]), ([1], [0.7])])
    assert band.n == (2,) and band.mean == pytest.approx((0.6,))


def _summary(run_id: str, student: float, latency: float) -> dict:
    return {"run_id": run_id, "models": {
        "teacher": {"accuracy": 0.90, "params": 1000, "latency_ms": 0.2},
        "student": {"accuracy": student, "params": 100, "latency_ms": latency}}}


def test_compare_adds_mean_and_std_rows_only_for_configurations_with_several_seeds() -> None:
    summaries = [_summary("a", 0.80, 0.02), _summary("b", 0.70, 0.02),
                 _summary("c", 0.84, 0.04), _summary("d", 0.82, 0.03)]
    configs = [_config(0.5, 0), _config(0.1, 0), _config(0.5, 1), _config(0.5, 2)]
    rows = repeat_rows(summaries, configs)
    assert [row[:2] for row in rows] == [["3 seeds", "teacher"], ["3 seeds", "student"]]
    student = rows[1]
    assert student[2] == "82.00% ± 2.00 (n=3)"  # accuracy: runs a, c, d — not b
    assert student[3] == "100"  # params: the same for every seed
    assert student[5] == "0.030 ± 0.010 (n=3)"  # latency ms
    teacher_accuracy = rows[0][2]
    assert teacher_accuracy.startswith("90.00% ± 0.00")


def test_no_rows_without_repeats() -> None:
    assert repeat_rows([_summary("a", 0.8, 0.02), _summary("b", 0.7, 0.02)],
                       [_config(0.5, 0), _config(0.1, 0)]) == []
