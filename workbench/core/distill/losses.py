"""Distillation losses as pure functions.

Hinton et al. (2015), with alpha weighing the hard-label loss:

    L = alpha * CE(student, y) + (1 - alpha) * T^2 * KL(softmax(t / T) || softmax(s / T))

Teacher targets are prepared once per temperature (``soft_targets``). These are the
reference definitions; the training step uses ``step_loss.kd_step``, which reports the
same values with a cheaper backward.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from workbench.core.data.batches import UNLABELED



@dataclass(frozen=True)
class SoftTargets:
    """``probs = softmax(teacher_logits / T)`` and ``neg_entropy = sum(p * log p)`` per row."""

    probs: torch.Tensor
    neg_entropy: torch.Tensor


def soft_targets(teacher_logits: torch.Tensor, temperature: float) -> SoftTargets:
    log_probs = F.log_softmax(teacher_logits.float() / temperature, dim=1)
    probs = log_probs.exp()
    return SoftTargets(probs, (probs * log_probs).sum(dim=1))


def hard_loss(student_logits: torch.Tensor, labels: torch.Tensor,
              fully_labeled: bool = False) -> torch.Tensor:
    """Cross-entropy over labeled rows only (label -1 = unlabeled); 0 if none is labeled.

    ``fully_labeled`` promises there is no -1 label and takes the plain, faster path.
    """
    if fully_labeled:
        return F.cross_entropy(student_logits, labels)
    summed = F.cross_entropy(student_logits, labels, ignore_index=UNLABELED, reduction="sum")
    return summed / (labels != UNLABELED).sum().clamp(min=1)


def soft_loss(student_logits: torch.Tensor, probs: torch.Tensor, neg_entropy: torch.Tensor,
              temperature: float) -> torch.Tensor:
    """KL(p_teacher || p_student) at temperature T, averaged over the batch (no T^2).

    KL = cross-entropy(p_teacher, p_student) - entropy(p_teacher); the fused soft-target
    cross-entropy keeps the per-step cost close to plain training.
    """
    return F.cross_entropy(student_logits / temperature, probs) + neg_entropy.mean()


def kd_loss(student_logits: torch.Tensor, labels: torch.Tensor, probs: torch.Tensor,
            neg_entropy: torch.Tensor, alpha: float, temperature: float,
            fully_labeled: bool = False) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return (total, hard, soft); alpha = 1 is exactly plain cross-entropy training."""
    hard = hard_loss(student_logits, labels, fully_labeled)
    if alpha >= 1.0:
        return hard, hard, torch.zeros((), device=student_logits.device)
    soft = soft_loss(student_logits, probs, neg_entropy, temperature)
    soft_weight = (1.0 - alpha) * temperature ** 2
    if alpha > 0.0:
        return torch.add(hard * alpha, soft, alpha=soft_weight), hard, soft
    return soft * soft_weight, hard, soft
