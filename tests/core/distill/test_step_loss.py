"""The training step's KD loss reports kd_loss's values and back-propagates its gradients."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from workbench.core.distill.losses import UNLABELED, kd_loss, soft_targets
from workbench.core.distill.step_loss import DistillLoss, PlainLoss, kd_step


def layer_and_inputs(seed: int = 0) -> tuple[torch.nn.Linear, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    layer = torch.nn.Linear(12, 10)
    inputs = torch.randn(32, 12, generator=generator) * 2
    teacher = torch.randn(32, 10, generator=generator) * 3
    return layer, inputs, teacher


def reference_gradients(layer, inputs, labels, targets, alpha, temperature, fully_labeled):
    layer.zero_grad()
    total, hard, soft = kd_loss(layer(inputs), labels, targets.probs, targets.neg_entropy,
                                alpha, temperature, fully_labeled)
    total.backward()
    grads = [parameter.grad.clone() for parameter in layer.parameters()]
    return grads, (float(total), float(hard), float(soft))


def step_gradients(layer, inputs, labels, targets, alpha, temperature, fully_labeled):
    layer.zero_grad()
    loss = kd_step(layer(inputs), labels, targets.probs, targets.neg_entropy, alpha,
                   temperature, fully_labeled)
    loss.backward()
    return [parameter.grad.clone() for parameter in layer.parameters()], loss.values()


@pytest.mark.parametrize("alpha", [0.0, 0.1, 0.5, 0.9])
@pytest.mark.parametrize("temperature", [0.5, 1.0, 4.0, 20.0])
@pytest.mark.parametrize("labeled", ["all", "half", "none"])
def test_values_and_gradients_match_the_reference(alpha: float, temperature: float,
                                                  labeled: str) -> None:
    layer, inputs, teacher = layer_and_inputs()
    labels = torch.randint(0, 10, (32,), generator=torch.Generator().manual_seed(1))
    if labeled == "half":
        labels[::2] = UNLABELED
    elif labeled == "none":
        labels[:] = UNLABELED
    targets = soft_targets(teacher, temperature)
    fully = labeled == "all"
    expected_grads, expected_values = reference_gradients(layer, inputs, labels, targets,
                                                          alpha, temperature, fully)
    grads, values = step_gradients(layer, inputs, labels, targets, alpha, temperature, fully)
    assert values == pytest.approx(expected_values, rel=1e-4, abs=1e-5)
    for got, expected in zip(grads, expected_grads):
        torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-6)
    assert any(grad.abs().sum() > 0 for grad in grads)


def step_at(alpha: float):
    """(layer, inputs, labels, kd_step loss) on a fully labeled batch at T = 4."""
    layer, inputs, teacher = layer_and_inputs()
    labels = torch.randint(0, 10, (32,), generator=torch.Generator().manual_seed(1))
    targets = soft_targets(teacher, 4.0)
    loss = kd_step(layer(inputs), labels, targets.probs, targets.neg_entropy, alpha, 4.0, True)
    return layer, inputs, labels, loss


def test_alpha_one_is_plain_cross_entropy_bit_for_bit() -> None:
    layer, inputs, labels, loss = step_at(1.0)
    assert isinstance(loss, PlainLoss)
    loss.backward()
    kd_grads = [parameter.grad.clone() for parameter in layer.parameters()]
    layer.zero_grad()
    F.cross_entropy(layer(inputs), labels).backward()
    assert all(torch.equal(got, plain.grad) for got, plain in zip(kd_grads, layer.parameters()))
    assert loss.values()[2] == 0.0


def test_a_partial_alpha_keeps_both_terms() -> None:
    loss = step_at(0.3)[3]
    assert isinstance(loss, DistillLoss)
    total, hard, soft = loss.values()
    assert hard > 0 and soft > 0
    assert total == pytest.approx(0.3 * hard + 0.7 * 16.0 * soft)
