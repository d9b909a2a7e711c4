"""Teacher outputs on disk: float16 within its rounding, top-k renormalised, resumable."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from workbench.core.distill.defenses import hide_outputs
from workbench.core.distill.losses import kd_loss, soft_targets
from workbench.core.engine.teacher_memmap import (OutputFormat, decode, decode_top_k, encode,
                                                  encode_top_k, fill_outputs, output_stores)

CLASSES = 10


def _teacher_logits(rows: int = 512, seed: int = 0) -> torch.Tensor:
    """Logits of a teacher's scale (a confident one reaches 15-25)."""
    return torch.randn(rows, CLASSES, generator=torch.Generator().manual_seed(seed)) * 6.0


def _kd(teacher_logits: torch.Tensor, temperature: float = 4.0) -> torch.Tensor:
    student = _teacher_logits(seed=1)
    labels = torch.arange(student.shape[0]) % CLASSES
    targets = soft_targets(teacher_logits, temperature)
    total, _, _ = kd_loss(student, labels, targets.probs, targets.neg_entropy, 0.3, temperature)
    return total


def test_float16_moves_each_logit_by_at_most_its_rounding() -> None:
    logits = _teacher_logits()
    stored = decode(encode(logits, OutputFormat("float16")), CLASSES)
    error = (stored - logits).abs()
    assert float((error / logits.abs().clamp_min(2.0 ** -14)).max()) <= 2.0 ** -11  # 0.049%
    assert float(error.max()) < 0.01
    assert torch.equal(stored.argmax(1), logits.argmax(1))
    assert float(_kd(stored)) == pytest.approx(float(_kd(logits)), rel=1e-3)


def test_top_k_with_every_class_is_full_kd_exactly() -> None:
    logits = decode(encode(_teacher_logits(), OutputFormat("float16")), CLASSES)
    values, indices = encode_top_k(logits, CLASSES, "float16")
    dense = decode_top_k(values, indices, CLASSES)
    assert torch.equal(dense, logits)
    assert torch.equal(_kd(dense), _kd(logits))


def test_small_top_k_renormalises_the_teacher_over_its_k_classes() -> None:
    logits, k, temperature = _teacher_logits(), 3, 4.0
    values, indices = encode(logits, OutputFormat("float32", top_k=k))
    assert values.shape == (512, k) and indices.dtype == np.int16
    dense = decode([values, indices], CLASSES)
    probs = soft_targets(dense, temperature).probs
    # the documented rule: softmax over the k kept logits, probability 0 elsewhere
    kept = torch.from_numpy(indices.astype(np.int64))
    expected = torch.zeros_like(probs).scatter(
        1, kept, torch.softmax(torch.from_numpy(values) / temperature, dim=1))
    torch.testing.assert_close(probs, expected, rtol=1e-6, atol=1e-6)
    assert bool((probs > 0).sum(1).eq(k).all())
    # the same teacher the distill.top_k defense gives, and a different loss than full KD
    torch.testing.assert_close(_kd(dense), _kd(hide_outputs(logits, top_k=k)))
    assert float(_kd(dense)) != pytest.approx(float(_kd(logits)), rel=1e-3)


class _Teacher:
    """Counts the images it is asked about; raises after ``fail_after`` shards."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.calls, self.fail_after = 0, fail_after

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise KeyboardInterrupt("the run dies mid-pass")
        self.calls += 1
        return inputs.view(inputs.shape[0], -1)[:, :CLASSES] * 3.0


@pytest.mark.parametrize("fmt", [OutputFormat("float16"), OutputFormat("float16", top_k=4)])
def test_a_pass_killed_midway_resumes_and_ends_as_an_uninterrupted_one(
        tmp_path: Path, fmt: OutputFormat) -> None:
    rows = 2600  # three shards of 1,024
    inputs = torch.randn(rows, 1, 4, 4, generator=torch.Generator().manual_seed(2))
    notes: list[str] = []

    def stores(folder: str) -> list:
        return output_stores("key", rows, CLASSES, fmt, tmp_path / folder, notes.append)

    with pytest.raises(KeyboardInterrupt):
        fill_outputs(stores("run"), _Teacher(fail_after=2), inputs, fmt, lambda rows: None)
    assert [store.missing() for store in stores("run")] == [[2]] * len(stores("run"))
    resumed_teacher = _Teacher()
    resumed = fill_outputs(stores("run"), resumed_teacher, inputs, fmt, lambda rows: None)
    assert resumed_teacher.calls == 1  # only the missing shard
    whole = fill_outputs(stores("fresh"), _Teacher(), inputs, fmt, lambda rows: None)
    assert torch.equal(resumed, whole)
    assert not notes


def test_a_corrupted_output_file_is_computed_again(tmp_path: Path) -> None:
    fmt, rows = OutputFormat("float16"), 1500
    inputs = torch.randn(rows, 1, 4, 4)
    stores = output_stores("key", rows, CLASSES, fmt, tmp_path, lambda note: None)
    first = fill_outputs(stores, _Teacher(), inputs, fmt, lambda rows: None)
    with open(stores[0].path, "r+b") as handle:
        handle.write(b"\x00\x7c" * 8)  # float16 infinities over the first row
    notes: list[str] = []
    again = output_stores("key", rows, CLASSES, fmt, tmp_path, notes.append)
    assert again[0].missing() == [0]
    teacher = _Teacher()
    assert torch.equal(fill_outputs(again, teacher, inputs, fmt, lambda rows: None), first)
    assert teacher.calls == 1 and "does not match its digest" in notes[0]
