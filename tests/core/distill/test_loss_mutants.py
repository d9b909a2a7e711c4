"""Edge cases of the KD losses that mutation testing found unguarded (benchmarks/mutation.py).

Each test pins one behaviour a one-line bug changed while every other test stayed green:
the mean over a single labeled row, the defaults that must handle unlabeled rows, the
mean over more than one other peer, the dtype and device of the tensors the closed-form
step creates.
"""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from workbench.core.data.batches import UNLABELED
from workbench.core.distill.losses import SoftTargets, hard_loss, kd_loss, soft_targets
from workbench.core.distill.online import mutual_losses
from workbench.core.distill.step_loss import kd_step

ROWS, CLASSES = 8, 5


def logits(seed: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (torch.randn(ROWS, CLASSES, generator=generator) * 3).to(dtype)


def labels_with(labeled_rows: list[int]) -> torch.Tensor:
    """Labels 0..CLASSES-1 on ``labeled_rows``, UNLABELED elsewhere."""
    labels = torch.full((ROWS,), UNLABELED)
    for row in labeled_rows:
        labels[row] = (3 * row + 1) % CLASSES
    return labels


def autograd_step(student: torch.Tensor, labels: torch.Tensor, targets: SoftTargets,
                  alpha: float, temperature: float) -> tuple[torch.Tensor, tuple[float, ...]]:
    """Gradient and values of the reference ``kd_loss`` (masked path), by autograd."""
    student = student.clone().requires_grad_(True)
    total, hard, soft = kd_loss(student, labels, targets.probs, targets.neg_entropy, alpha,
                                temperature)
    total.backward()
    return student.grad, (total.item(), hard.item(), soft.item())


def closed_form_step(student: torch.Tensor, labels: torch.Tensor, targets: SoftTargets,
                     alpha: float, temperature: float, **flags) -> tuple[torch.Tensor, tuple]:
    student = student.clone().requires_grad_(True)
    loss = kd_step(student, labels, targets.probs, targets.neg_entropy, alpha, temperature,
                   **flags)
    loss.backward()
    return student.grad, loss.values()


# --- one labeled row: the mean divides by 1 -----------------------------------------------

def test_hard_loss_of_a_single_labeled_row_is_that_rows_cross_entropy() -> None:
    student, labels = logits(0), labels_with([3])
    expected = F.cross_entropy(student[3:4], labels[3:4])
    torch.testing.assert_close(hard_loss(student, labels), expected)


def test_kd_step_with_a_single_labeled_row_matches_the_reference() -> None:
    student, labels = logits(0), labels_with([5])
    targets = soft_targets(logits(1), 2.0)
    grad, values = closed_form_step(student, labels, targets, 0.6, 2.0)
    expected_grad, expected_values = autograd_step(student, labels, targets, 0.6, 2.0)
    assert values[1] == pytest.approx(float(F.cross_entropy(student[5:6], labels[5:6])),
                                      rel=1e-5)
    assert values == pytest.approx(expected_values, rel=1e-5)
    torch.testing.assert_close(grad, expected_grad, rtol=1e-4, atol=1e-6)


# --- the defaults must be the safe, masked path -------------------------------------------

@pytest.mark.parametrize("alpha", [0.5, 1.0])
def test_kd_step_by_default_ignores_unlabeled_rows(alpha: float) -> None:
    student, labels = logits(0), labels_with([0, 2, 3, 7])
    targets = soft_targets(logits(1), 4.0)
    grad, values = closed_form_step(student, labels, targets, alpha, 4.0)
    expected_grad, expected_values = autograd_step(student, labels, targets, alpha, 4.0)
    assert values == pytest.approx(expected_values, rel=1e-5, abs=1e-7)
    torch.testing.assert_close(grad, expected_grad, rtol=1e-4, atol=1e-6)


def test_mutual_losses_by_default_ignore_unlabeled_rows() -> None:
    peers, labels = [logits(0), logits(1)], labels_with([1, 4])
    keep = labels != UNLABELED
    for peer, (_, hard, _) in zip(peers, mutual_losses(peers, labels, 0.5, 3.0)):
        torch.testing.assert_close(hard, F.cross_entropy(peer[keep], labels[keep]))


# --- online: the soft term is the MEAN over every other peer ------------------------------

def test_each_of_three_peers_learns_from_the_mean_of_the_two_others() -> None:
    peers, labels, temperature = [logits(seed) for seed in range(3)], labels_with([0, 1]), 3.0
    results = mutual_losses(peers, labels, 0.25, temperature)

    def kl(teacher: torch.Tensor, student: torch.Tensor) -> torch.Tensor:
        return F.kl_div(F.log_softmax(student / temperature, dim=1),
                        F.softmax(teacher / temperature, dim=1), reduction="batchmean")

    for index, (total, hard, soft) in enumerate(results):
        others = [peer for other, peer in enumerate(peers) if other != index]
        expected_soft = (kl(others[0], peers[index]) + kl(others[1], peers[index])) / 2
        torch.testing.assert_close(soft, expected_soft, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(total, 0.25 * hard + 0.75 * temperature ** 2 * expected_soft,
                                   rtol=1e-5, atol=1e-6)


# --- the tensors the step creates follow the student's dtype and device -------------------

def double_targets(teacher: torch.Tensor, temperature: float) -> SoftTargets:
    log_probs = F.log_softmax(teacher.double() / temperature, dim=1)
    return SoftTargets(log_probs.exp(), (log_probs.exp() * log_probs).sum(dim=1))


@pytest.mark.parametrize("fully_labeled", [True, False])
def test_kd_step_trains_a_float64_student(fully_labeled: bool) -> None:
    student = logits(0, torch.float64)
    labels = labels_with(list(range(ROWS)) if fully_labeled else [1, 2, 6])
    targets = double_targets(logits(1), 2.0)
    grad, values = closed_form_step(student, labels, targets, 0.3, 2.0,
                                    fully_labeled=fully_labeled)
    expected_grad, expected_values = autograd_step(student, labels, targets, 0.3, 2.0)
    assert grad.dtype == torch.float64
    assert values == pytest.approx(expected_values, rel=1e-10)
    torch.testing.assert_close(grad, expected_grad, rtol=1e-10, atol=1e-12)


def test_an_alpha_of_one_keeps_the_zero_soft_loss_on_the_students_device() -> None:
    # "meta" stands in for an accelerator on a CPU-only machine: a tensor created on the
    # CPU by mistake shows up as a device mismatch, as it would next to CUDA logits.
    student, labels = logits(0).to("meta"), labels_with(list(range(ROWS))).to("meta")
    targets = soft_targets(logits(1).to("meta"), 4.0)
    total, hard, soft = kd_loss(student, labels, targets.probs, targets.neg_entropy, 1.0, 4.0)
    assert total.device == hard.device == soft.device == student.device

