"""Several teachers fused into one target: the weights, on outputs with a known answer."""
from __future__ import annotations

import math

import pytest
import torch

from workbench.core.distill.fusion import fuse, fusion_weights

# Teacher A is sure of class 0, teacher B leans to class 1: probabilities written as logits.
A = torch.tensor([[0.8, 0.1, 0.1]]).log()
B = torch.tensor([[0.2, 0.6, 0.2]]).log()


def test_confidence_weights_are_softmax_of_minus_ce_on_the_label() -> None:
    # CE_A = -log 0.8, CE_B = -log 0.2, so softmax(-CE) = (0.8, 0.2) / (0.8 + 0.2).
    weights = fusion_weights([A, B], torch.tensor([0]), "confidence")
    assert weights[0].tolist() == pytest.approx([0.8, 0.2])
    # With label 1, B is the confident one: (0.1, 0.6) / 0.7.
    weights = fusion_weights([A, B], torch.tensor([1]), "confidence")
    assert weights[0].tolist() == pytest.approx([0.1 / 0.7, 0.6 / 0.7])


def test_confidence_fusion_weighs_the_log_probabilities() -> None:
    fused = fuse([A, B], torch.tensor([0]), "confidence")
    expected = 0.8 * A + 0.2 * B  # A and B are already log-probabilities
    assert torch.allclose(fused, expected, atol=1e-6)
    assert fused.argmax(1).item() == 0


def test_mean_fusion_and_unlabeled_rows_weigh_every_teacher_alike() -> None:
    logits = [torch.cat([A, A]), torch.cat([B, B])]
    labels = torch.tensor([0, -1])  # the second image has no label (transfer set)
    weights = fusion_weights(logits, labels, "confidence")
    assert weights[1].tolist() == pytest.approx([0.5, 0.5])
    assert weights[0].tolist() == pytest.approx([0.8, 0.2])
    assert fusion_weights(logits, labels, "mean").flatten().tolist() == pytest.approx([0.5] * 4)
    assert torch.allclose(fuse(logits, labels, "mean")[0], 0.5 * A[0] + 0.5 * B[0], atol=1e-6)


def test_a_teacher_with_offset_logits_does_not_outweigh_the_others() -> None:
    """Fusing log-softmax: adding a constant to one teacher's logits changes nothing."""
    plain = fuse([A, B], torch.tensor([0]), "confidence")
    shifted = fuse([A + 100.0, B], torch.tensor([0]), "confidence")
    assert torch.allclose(plain, shifted, atol=1e-5)


def test_fused_targets_at_any_temperature_come_from_one_set_of_logits() -> None:
    fused = fuse([A, B])
    for temperature in (1.0, 4.0):
        probs = torch.softmax(fused / temperature, dim=1)
        geometric = torch.softmax((A + B) / 2 / temperature, dim=1)
        assert torch.allclose(probs, geometric, atol=1e-6)
    assert math.isclose(float(torch.softmax(fused, 1).sum()), 1.0, rel_tol=1e-6)


def test_unknown_fusion_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fusion"):
        fuse([A, B], None, "max")
