"""Resolving what detection compares: runs, files, recorded outputs, and clear refusals."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from workbench.core.lineage.probe import LineageError, Probe, load_probe
from workbench.core.lineage.subjects import probe_logits, resolve_subject

torch.set_num_threads(1)


def small_probe(rows: int = 6, classes: int = 3) -> Probe:
    return Probe("synthetic", torch.zeros(rows, 1, 28, 28), torch.arange(rows) % classes,
                 classes)


def test_recorded_probabilities_become_log_probabilities(tmp_path: Path) -> None:
    probabilities = np.full((8, 3), 1 / 3, dtype=np.float32)
    probabilities[:, 0] = 0.5
    probabilities[:, 1:] = 0.25
    np.save(tmp_path / "api.npy", probabilities)
    subject = resolve_subject(str(tmp_path / "api.npy"), "suspect", tmp_path)
    logits = probe_logits(subject, small_probe())
    assert logits.shape == (6, 3)
    assert torch.allclose(logits[0], torch.log(torch.tensor([0.5, 0.25, 0.25])))


def test_recorded_npz_reads_its_test_array_and_counts_rows(tmp_path: Path) -> None:
    np.savez(tmp_path / "outputs.npz", train=np.zeros((2, 3)), test=np.ones((4, 3)) * 2)
    subject = resolve_subject(str(tmp_path / "outputs.npz"), "suspect", tmp_path)
    with pytest.raises(LineageError, match="4 rows of outputs but the probe has 6"):
        probe_logits(subject, small_probe())
    np.savez(tmp_path / "bad.npz", train=np.zeros((2, 3)))
    with pytest.raises(LineageError, match="'test' array"):
        resolve_subject(str(tmp_path / "bad.npz"), "suspect", tmp_path)


def test_class_count_must_match_the_probe(tmp_path: Path) -> None:
    np.savetxt(tmp_path / "wide.csv", np.zeros((6, 5)), delimiter=",")
    subject = resolve_subject(str(tmp_path / "wide.csv"), "suspect", tmp_path)
    with pytest.raises(LineageError, match="5 classes but the probe \\(synthetic\\) has 3"):
        probe_logits(subject, small_probe())


def test_unknown_targets_name_the_role_and_the_target(tmp_path: Path) -> None:
    with pytest.raises(LineageError, match="^teacher 'no-such-model' is not a model preset"):
        resolve_subject("no-such-model", "teacher", tmp_path)
    with pytest.raises(LineageError, match="has no weights"):
        resolve_subject("synthetic-mlp", "suspect", tmp_path)


def test_a_run_without_the_role_checkpoint_is_refused(tiny_run, tmp_path: Path) -> None:
    run = tmp_path / "partial"
    (run / "ckpt").mkdir(parents=True)
    source = tiny_run.folder / "ckpt" / "student.pt"
    (run / "ckpt" / "student.pt").write_bytes(source.read_bytes())
    (run / "summary.json").write_text('{"status": "completed", "name": "x"}')
    with pytest.raises(LineageError, match="reference .*no baseline checkpoint .*student"):
        resolve_subject(str(run), "reference", tmp_path)
    # the file itself is accepted whatever its folder: the user named the model
    subject = resolve_subject(str(run / "ckpt" / "student.pt"), "reference", tmp_path)
    assert subject.dataset == "synthetic"


def test_run_checkpoints_answer_the_probe_they_were_trained_for(tiny_run, tmp_path) -> None:
    teacher = resolve_subject(str(tiny_run.folder), "teacher", tmp_path)
    assert teacher.source.endswith("ckpt/teacher.pt") and teacher.dataset == "synthetic"
    probe = load_probe("synthetic", 50)
    logits = probe_logits(teacher, probe)
    assert logits.shape == (50, probe.num_classes) and logits.dtype == torch.float32
    wrong = Probe("other", torch.zeros(4, 3, 8, 8), torch.zeros(4, dtype=torch.long), 10)
    with pytest.raises(LineageError, match="--dataset"):
        probe_logits(teacher, wrong)


def test_probe_refuses_bad_sizes_and_datasets() -> None:
    with pytest.raises(LineageError, match="--probe"):
        load_probe("synthetic", 1)
    with pytest.raises(LineageError, match="--dataset"):
        load_probe("no-such-data")


def test_a_torchscript_file_is_asked_about_the_probe_like_any_model(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 3)).eval()
    path = tmp_path / "api-model.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit: still what users ship
        torch.jit.trace(model, torch.zeros(1, 1, 28, 28)).save(str(path))
    subject = resolve_subject(str(path), "suspect", tmp_path)
    probe = Probe("synthetic", torch.randn(5, 1, 28, 28), torch.zeros(5, dtype=torch.long), 3)
    with torch.inference_mode():
        expected = model(probe.inputs)
    assert torch.allclose(probe_logits(subject, probe), expected, atol=1e-6)
    assert subject.source == str(path)
