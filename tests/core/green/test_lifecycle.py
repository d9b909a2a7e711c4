"""Distil vs train from labels, to the same accuracy: a hand-made run with a known answer."""
from __future__ import annotations

import pytest

from workbench.core.green.lifecycle import (LifecycleError, first_epoch_reaching, lifecycle,
                                            lifecycle_lines, val_histories)

SUMMARY = {
    "energy": {"teacher_j": 0.0, "cache_j": 10.0, "student_j": 40.0, "baseline_j": 60.0,
               "benchmark_j": 3.0, "total_j": 113.0, "method": "estimate"},
    "timings": {"cache_s": 1.0, "student_s": 8.0, "baseline_s": 12.0},
    "models": {"teacher": {"accuracy": 0.9, "energy_per_1k_j": 2.0},
               "student": {"accuracy": 0.84, "energy_per_1k_j": 0.1},
               "student-qat": {"accuracy": 0.83, "energy_per_1k_j": 0.04},
               "baseline": {"accuracy": 0.79, "energy_per_1k_j": 0.1}},
}
HISTORIES = {"student": [0.70, 0.80, 0.84, 0.85], "baseline": [0.60, 0.70, 0.78, 0.80]}


def test_each_route_is_charged_up_to_the_epoch_that_reaches_the_lower_final_accuracy() -> None:
    answer = lifecycle(SUMMARY, HISTORIES)
    assert answer.target_val_acc == 0.80  # the baseline's final one, the lower
    distill, scratch = answer.distill, answer.scratch
    assert (distill.epoch, distill.epochs, scratch.epoch) == (2, 4, 4)
    # distil: the teacher cache once (10 J, 1 s) + 2 of the student's 4 epochs (40 J, 8 s)
    assert distill.energy_j == pytest.approx(10.0 + 20.0)
    assert distill.seconds == pytest.approx(1.0 + 4.0)
    assert (distill.one_off_j, distill.training_j) == (10.0, 20.0)
    # from labels: all 4 baseline epochs, no teacher
    assert scratch.energy_j == pytest.approx(60.0) and scratch.seconds == pytest.approx(12.0)
    assert scratch.one_off_j == 0.0
    assert answer.energy_ratio == pytest.approx(2.0)
    assert (distill.test_acc, scratch.test_acc) == (0.84, 0.79)
    assert answer.method == "estimate"


def test_the_first_epoch_counts_even_if_accuracy_dips_after() -> None:
    histories = {"student": [0.70, 0.75, 0.80, 0.80], "baseline": [0.60, 0.81, 0.79, 0.82]}
    answer = lifecycle(SUMMARY, histories)
    assert answer.target_val_acc == 0.80
    assert answer.scratch.epoch == 2 and answer.distill.epoch == 3
    assert answer.scratch.energy_j == pytest.approx(30.0)
    assert answer.distill.energy_j == pytest.approx(10.0 + 30.0)
    assert first_epoch_reaching([0.1, 0.2], 0.9) == 2  # never reached: the last epoch


def test_inference_energy_lists_the_models_present_in_order() -> None:
    answer = lifecycle(SUMMARY, HISTORIES)
    assert answer.inference_per_1k_j == {"teacher": 2.0, "student": 0.1, "student-qat": 0.04,
                                         "baseline": 0.1}
    payload = answer.to_dict()
    assert payload["distill"]["energy_j"] == pytest.approx(30.0)
    assert payload["scratch"]["epoch"] == 4 and payload["energy_ratio"] == pytest.approx(2.0)
    text = "\n".join(lifecycle_lines(answer))
    assert "epoch 2/4" in text and "student-qat 0.04 J" in text
    assert "training from labels took 2.00x the energy of distilling (distilling paid off)" in text
    costly = lifecycle({**SUMMARY, "energy": {**SUMMARY["energy"], "cache_j": 220.0}}, HISTORIES)
    assert costly.energy_ratio == pytest.approx(60.0 / 240.0)
    assert "distilling took 4.00x the energy of training from labels" in "\n".join(
        lifecycle_lines(costly))


def test_a_run_without_baseline_or_energy_is_refused_by_name() -> None:
    with pytest.raises(LifecycleError, match="train.baseline"):
        lifecycle(SUMMARY, {"student": [0.5]})
    with pytest.raises(LifecycleError, match="energy"):
        lifecycle({**SUMMARY, "energy": None}, HISTORIES)


def test_val_histories_keep_each_phase_val_accuracy_in_order() -> None:
    epochs = {"student": [{"epoch": 1.0, "val_acc": 0.5}, {"epoch": 2.0, "val_acc": 0.6}],
              "teacher": [{"epoch": 1.0, "train_loss": 1.0}]}
    assert val_histories(epochs) == {"student": [0.5, 0.6], "teacher": []}
