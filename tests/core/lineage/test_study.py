"""``detect --evaluate`` in core: K pairs trained through the engine, held-out AUCs."""
from __future__ import annotations

import pytest
import torch

from workbench.core.lineage.probe import LineageError
from workbench.core.lineage.report import format_study
from workbench.core.lineage.study import run_study

torch.set_num_threads(1)


def test_outputs_only_students_are_told_apart_from_independent_ones(lineage, tmp_path) -> None:
    messages: list[str] = []
    study = run_study(str(lineage.preset), 3, tmp_path / "work", probe_size=600,
                      on_status=messages.append)
    evaluation = study.evaluations[0]
    assert study.seeds == (1000, 1001, 1002) and evaluation.defense == "none"
    assert [model.kind for model in evaluation.models].count("distilled") == 3
    assert evaluation.auc["combined"] == 1.0
    assert evaluation.auc["kl_high"] == 1.0  # the softened outputs give distillation away
    assert len(list((tmp_path / "work").glob("*/ckpt/student.pt"))) == 3  # kept on request
    assert messages[0] == "distilled + independent: run 1/3 (seed 1000)"
    text = format_study(study)
    assert "combined score" in text and "1.000" in text
    row = study.to_dict()["tradeoff"][0]
    assert row["auc"] == 1.0 and row["student_accuracy"] == evaluation.mean_accuracy("distilled")


def test_too_few_students_or_a_teacher_without_weights_are_refused() -> None:
    with pytest.raises(LineageError, match="at least 3"):
        run_study("synthetic-quick", 2)
    with pytest.raises(LineageError, match="the teacher has no weights"):
        run_study("synthetic-quick", 3)


def test_heavy_teacher_noise_hides_the_students_and_costs_accuracy(lineage, tmp_path) -> None:
    study = run_study(str(lineage.preset), 3, probe_size=600,
                      defenses=["distill.teacher_noise=50"])
    plain, noisy = study.evaluations
    assert noisy.defense == "distill.teacher_noise=50" and noisy.adapted_auc is not None
    assert noisy.mean_accuracy("distilled") < plain.mean_accuracy("distilled")
    assert noisy.auc["combined"] < plain.auc["combined"] == 1.0
    # the same independent models judge both rounds
    assert [m.metrics for m in noisy.models if m.kind == "independent"] == \
        [m.metrics for m in plain.models if m.kind == "independent"]
    row = study.to_dict()["tradeoff"][1]
    assert row["defense"] == "distill.teacher_noise=50" and row["auc"] == noisy.auc["combined"]
    text = format_study(study)
    assert "AUC (detector refitted)" in text and "distill.teacher_noise=50" in text
