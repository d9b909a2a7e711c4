"""Detection end to end on tiny real models: a distilled suspect is caught, an
independent one is not, and references are trained through the engine."""
from __future__ import annotations

from pathlib import Path

import torch

from workbench.core.lineage.detection import detect
from workbench.core.lineage.references import is_preset_teacher, preset_teacher
from workbench.core.lineage.subjects import resolve_subject
from workbench.core.lineage.verdict import LEARNED, NO_EVIDENCE
from workbench.core.presets import load_experiment

torch.set_num_threads(1)


def test_trained_pairs_are_a_student_and_a_labels_only_baseline(lineage) -> None:
    assert [pair.seed for pair in lineage.pairs] == [1000, 1001, 1002, 1003, 1004, 1005]
    for pair in lineage.pairs:
        assert pair.distilled.name == "student.pt" and pair.distilled.is_file()
        assert pair.reference is not None and pair.reference.name == "baseline.pt"
        assert pair.reference.parent == pair.distilled.parent
    folders = {pair.run_dir for pair in lineage.pairs}
    assert len(folders) == 6


def test_a_distilled_suspect_is_caught(lineage, tmp_path: Path) -> None:
    held_out = lineage.pairs[5]
    detection = detect(str(held_out.distilled), str(lineage.teacher),
                       [str(pair.reference) for pair in lineage.pairs[:5]],
                       [str(pair.distilled) for pair in lineage.pairs[:5]],
                       runs_dir=tmp_path, probe_size=600)
    assert detection.decision.verdict == LEARNED
    assert detection.directed and detection.probe_size == 600
    assert detection.score > max(detection.null_scores)
    assert detection.decision.p_empirical == 1 / 6  # above all 5 references: 1 / (5 + 1)
    kl = {reading.name: reading for reading in detection.readings}["kl_high"]
    assert kl.value < min(kl.references)  # outputs-only students match the softened teacher


def test_an_independent_suspect_is_not_accused(lineage, tmp_path: Path) -> None:
    held_out = lineage.pairs[5]
    detection = detect(str(held_out.reference), str(lineage.teacher),
                       [str(pair.reference) for pair in lineage.pairs[:5]],
                       [str(pair.distilled) for pair in lineage.pairs[:5]],
                       runs_dir=tmp_path, probe_size=600)
    assert detection.decision.verdict == NO_EVIDENCE
    assert detection.score < min(detection.distilled_scores)


def test_a_run_folder_means_its_student_or_baseline(lineage, tmp_path: Path) -> None:
    run = str(lineage.pairs[0].run_dir)
    assert resolve_subject(run, "suspect", tmp_path).source.endswith("ckpt/student.pt")
    assert resolve_subject(run, "reference", tmp_path).source.endswith("ckpt/baseline.pt")


def test_the_preset_teacher_is_recognised_by_its_weights(lineage, tmp_path: Path) -> None:
    preset = load_experiment(lineage.preset)
    teacher = resolve_subject(str(lineage.teacher), "teacher", tmp_path)
    assert is_preset_teacher(preset, teacher)
    student = resolve_subject(str(lineage.pairs[0].distilled), "suspect", tmp_path)
    assert not is_preset_teacher(preset, student)
    model = preset_teacher(preset, (1, 28, 28), 10)
    inputs = torch.zeros(2, 1, 28, 28)
    with torch.inference_mode():
        assert torch.equal(model(inputs), teacher.model(inputs))
