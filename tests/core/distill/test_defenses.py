"""Hiding the teacher's fingerprint: noise and top-k on known logits."""
from __future__ import annotations

import torch

from workbench.core.distill.defenses import hide_outputs
from workbench.core.distill.losses import soft_targets

torch.set_num_threads(1)
LOGITS = torch.tensor([[4.0, 2.0, 1.0, 0.0], [0.0, 3.0, 0.5, 1.0]])


def test_no_defense_returns_the_outputs_untouched() -> None:
    assert hide_outputs(LOGITS) is LOGITS
    assert hide_outputs(LOGITS, 0.0, 4) is LOGITS


def test_noise_is_per_image_fixed_and_of_the_asked_size() -> None:
    many = torch.zeros(4000, 10)
    noisy = hide_outputs(many, noise=2.0)
    assert torch.equal(noisy, hide_outputs(many, noise=2.0))  # same cache, same noise
    assert abs(noisy.std().item() - 2.0) < 0.05
    assert not torch.equal(noisy[0], noisy[1])  # each image its own draw
    assert torch.equal(hide_outputs(many[:10], noise=2.0), noisy[:10])  # fixed per row order


def test_top_k_keeps_the_k_best_renormalised_at_every_temperature() -> None:
    kept = hide_outputs(LOGITS, top_k=2)
    for temperature in (1.0, 4.0, 100.0):
        targets = soft_targets(kept, temperature)
        assert torch.isfinite(targets.neg_entropy).all()
        assert torch.equal(targets.probs[0, 2:], torch.zeros(2))
        expected = torch.softmax(LOGITS[0, :2] / temperature, dim=0)
        assert torch.allclose(targets.probs[0, :2], expected)
        assert torch.allclose(targets.probs[1, [1, 3]], torch.softmax(
            LOGITS[1, [1, 3]] / temperature, dim=0))


def test_top_1_is_the_teachers_hard_label() -> None:
    probs = soft_targets(hide_outputs(LOGITS, top_k=1), 4.0).probs
    assert torch.equal(probs, torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0]]))


def test_the_offline_method_declares_both_defenses_off_by_default() -> None:
    from workbench.core.distill import METHODS
    from workbench.core.presets import load_experiment

    declared = {param.name: param.default for param in METHODS.get("offline").params}
    assert declared["teacher_noise"] == 0.0 and declared["top_k"] == 0
    preset = load_experiment("fashion-kd", ["distill.teacher_noise=2", "distill.top_k=3"])
    assert (preset.distill.teacher_noise, preset.distill.top_k) == (2.0, 3)
    assert hide_outputs(LOGITS, 0.0, 0) is LOGITS


def test_any_positive_noise_is_added_in_full_even_below_one() -> None:
    """sigma 0.5 adds exactly 0.5 x the image's fixed noise (a threshold at 1 would skip it)."""
    from workbench.core.distill.defenses import hide_outputs, image_noise

    logits = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    hidden = hide_outputs(logits, noise=0.5)
    assert torch.equal(hidden, logits + 0.5 * image_noise(3, 4))
    assert not torch.equal(hidden, logits)


def test_image_noise_keeps_its_shape_for_no_rows_and_its_rows_for_any_count() -> None:
    from workbench.core.distill.defenses import image_noise

    assert tuple(image_noise(0, 10).shape) == (0, 10)
    assert torch.equal(image_noise(5, 3)[:2], image_noise(2, 3))
