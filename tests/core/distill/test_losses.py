"""The KD loss against a reference written straight from Hinton et al. (2015)."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from workbench.core.distill.losses import (UNLABELED, hard_loss, kd_loss, soft_loss,
                                           soft_targets)


def reference_kd(student: torch.Tensor, teacher: torch.Tensor, labels: torch.Tensor,
                 alpha: float, temperature: float) -> torch.Tensor:
    soft = F.kl_div(F.log_softmax(student / temperature, dim=1),
                    F.softmax(teacher / temperature, dim=1), reduction="batchmean")
    return alpha * F.cross_entropy(student, labels) + (1 - alpha) * temperature ** 2 * soft


@pytest.fixture()
def batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    student = torch.randn(16, 10, generator=generator, dtype=torch.float64) * 3
    teacher = torch.randn(16, 10, generator=generator, dtype=torch.float64) * 3
    labels = torch.randint(0, 10, (16,), generator=generator)
    return student, teacher, labels


def kd(student: torch.Tensor, teacher: torch.Tensor, labels: torch.Tensor, alpha: float,
       temperature: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    targets = soft_targets(teacher, temperature)
    return kd_loss(student.float(), labels, targets.probs, targets.neg_entropy, alpha,
                   temperature)


@pytest.mark.parametrize("alpha", [0.0, 0.1, 0.5, 0.9])
@pytest.mark.parametrize("temperature", [0.5, 1.0, 4.0, 20.0])
def test_matches_the_reference(batch, alpha: float, temperature: float) -> None:
    student, teacher, labels = batch
    total, hard, soft = kd(student, teacher, labels, alpha, temperature)
    expected = reference_kd(student, teacher, labels, alpha, temperature)
    torch.testing.assert_close(total.double(), expected, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(hard.double(), F.cross_entropy(student, labels),
                               rtol=1e-5, atol=1e-6)
    expected_soft = F.kl_div(F.log_softmax(student / temperature, 1),
                             F.softmax(teacher / temperature, 1), reduction="batchmean")
    torch.testing.assert_close(soft.double(), expected_soft, rtol=1e-4, atol=1e-5)


def test_alpha_one_is_exactly_cross_entropy(batch) -> None:
    student, teacher, labels = batch
    total, hard, soft = kd(student, teacher, labels, 1.0, 4.0)
    assert torch.equal(total, F.cross_entropy(student.float(), labels))
    assert torch.equal(hard, total)
    assert float(soft) == 0.0


def test_alpha_one_gradients_ignore_the_teacher(batch) -> None:
    student, teacher, labels = batch
    grads = []
    for other_teacher in (teacher, -teacher):
        logits = student.float().clone().requires_grad_(True)
        targets = soft_targets(other_teacher, 4.0)
        kd_loss(logits, labels, targets.probs, targets.neg_entropy, 1.0, 4.0)[0].backward()
        grads.append(logits.grad)
    assert torch.equal(grads[0], grads[1])


def test_unlabeled_rows_are_ignored_by_the_hard_loss(batch) -> None:
    student, _, labels = batch
    masked = labels.clone()
    masked[::2] = UNLABELED
    keep = masked != UNLABELED
    expected = F.cross_entropy(student[keep], labels[keep])
    torch.testing.assert_close(hard_loss(student, masked), expected)
    # changing the logits of unlabeled rows does not change the hard loss
    changed = student.clone()
    changed[~keep] += 100.0
    torch.testing.assert_close(hard_loss(changed, masked), expected)


def test_a_batch_without_labels_gives_a_finite_loss(batch) -> None:
    student, teacher, _ = batch
    labels = torch.full((16,), UNLABELED)
    logits = student.float().clone().requires_grad_(True)
    targets = soft_targets(teacher, 4.0)
    total, hard, soft = kd_loss(logits, labels, targets.probs, targets.neg_entropy, 0.5, 4.0)
    assert torch.isfinite(total) and float(hard.detach()) == 0.0
    torch.testing.assert_close(total, 0.5 * 16.0 * soft)
    total.backward()
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0
    assert float(hard_loss(student, labels)) == 0.0


def test_soft_loss_is_zero_when_student_equals_teacher(batch) -> None:
    _, teacher, _ = batch
    targets = soft_targets(teacher, 3.0)
    loss = soft_loss(teacher.float(), targets.probs, targets.neg_entropy, 3.0)
    assert abs(float(loss)) < 1e-5


def test_higher_temperature_gives_flatter_targets(batch) -> None:
    _, teacher, _ = batch
    entropies = []
    for temperature in (0.5, 1.0, 2.0, 4.0, 10.0):
        targets = soft_targets(teacher, temperature)
        torch.testing.assert_close(targets.probs.sum(1), torch.ones(16), rtol=0, atol=1e-5)
        entropies.append(float(-targets.neg_entropy.mean()))
        manual = -(targets.probs * targets.probs.log()).sum(1)
        torch.testing.assert_close(-targets.neg_entropy, manual, rtol=1e-4, atol=1e-5)
    assert entropies == sorted(entropies) and len(set(entropies)) == len(entropies)
    assert entropies[-1] < torch.log(torch.tensor(10.0)).item()


def test_fully_labeled_fast_path_matches_the_masked_path(batch) -> None:
    import inspect

    student, teacher, labels = batch
    if "fully_labeled" not in inspect.signature(kd_loss).parameters:
        pytest.skip("kd_loss has no fully_labeled fast path")
    targets = soft_targets(teacher, 4.0)
    masked = kd_loss(student.float(), labels, targets.probs, targets.neg_entropy, 0.3, 4.0,
                     fully_labeled=False)
    fast = kd_loss(student.float(), labels, targets.probs, targets.neg_entropy, 0.3, 4.0,
                   fully_labeled=True)
    for slow_part, fast_part in zip(masked, fast):
        torch.testing.assert_close(fast_part, slow_part, rtol=1e-6, atol=1e-6)
