"""Decoupled knowledge distillation (DKD; Zhao et al., CVPR 2022).

Per row, classical KD's KL at temperature T splits into a binary part on the target
class t and a part among the other classes (the paper's identity):

    KL(p^T || p^S) = TCKD + (1 - p^T_t) * NCKD
    TCKD = KL([p^T_t, 1 - p^T_t] || [p^S_t, 1 - p^S_t])   how sure the teacher is of t
    NCKD = KL(p̂^T || p̂^S), p̂ = softmax over the non-target classes only

KD weighs NCKD by (1 - p^T_t), small exactly when the teacher is confident; DKD
gives each part its own weight:

    L = alpha * CE(student, y) + ramp * T^2 * (tckd_weight * TCKD + nckd_weight * NCKD)

alpha weighs the hard-label loss, as everywhere in the workbench (the paper's CE
weight, 1.0); the paper's alpha and beta are ``tckd_weight`` and ``nckd_weight``.
``ramp`` = min(epoch / warmup, 1) grows the KD part over the first epochs (the
paper's warm-up; 1 from the start when warmup = 0). The target class is the
label; a transfer-set row (label -1) uses the teacher's top class.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from workbench.core.config.params import Param
from workbench.core.data.batches import UNLABELED, Batch
from workbench.core.distill.losses import hard_loss
from workbench.core.distill.method import StudentContext
from workbench.core.distill.registry import METHODS
from workbench.core.distill.step_loss import GraphLoss, Objective, StepLoss

TEACHER_LOGITS = "teacher_logits"  # the batch extra: the teacher's raw logits per row

PARAMS = (
    Param("alpha", "float", 1.0, "weight of the hard-label loss (the paper's CE weight; the "
          "KD parts have their own weights)", minimum=0.0, maximum=1.0),
    Param("temperature", "float", 4.0, "softening temperature T of both softmaxes",
          minimum=0.0, exclusive_minimum=True, maximum=100.0),
    Param("tckd_weight", "float", 1.0, "weight of target-class KD (the teacher's confidence "
          "in the label; the paper's alpha)", minimum=0.0, maximum=100.0),
    Param("nckd_weight", "float", 8.0, "weight of non-target-class KD (the teacher's ranking "
          "of the wrong classes; the paper's beta)", minimum=0.0, maximum=100.0),
    Param("warmup", "int", 0, "epochs over which the KD part ramps up linearly "
          "(0 = full weight from the start; the paper uses 20 of 240)", minimum=0,
          maximum=1000),
)


def decoupled_kl(student_logits: torch.Tensor, teacher_logits: torch.Tensor,
                 targets: torch.Tensor, temperature: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-row (TCKD, NCKD) at ``temperature``, without the T^2 factor."""
    target = F.one_hot(targets, student_logits.shape[1]).bool()
    student, teacher = student_logits / temperature, teacher_logits.float() / temperature
    tckd = _kl_rows(_binary_log_probs(teacher, targets, target),
                    _binary_log_probs(student, targets, target))
    nckd = _kl_rows(F.log_softmax(teacher.masked_fill(target, -torch.inf), dim=1),
                    F.log_softmax(student.masked_fill(target, -torch.inf), dim=1))
    return tckd, nckd


def dkd_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor,
             alpha: float, temperature: float, tckd_weight: float, nckd_weight: float,
             ramp: float = 1.0, fully_labeled: bool = False
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(total, hard, soft): soft = tckd_weight * TCKD + nckd_weight * NCKD, batch mean."""
    hard = hard_loss(student_logits, labels, fully_labeled)
    targets = torch.where(labels == UNLABELED, teacher_logits.argmax(1), labels)
    tckd, nckd = decoupled_kl(student_logits, teacher_logits, targets, temperature)
    soft = tckd_weight * tckd.mean() + nckd_weight * nckd.mean()
    return alpha * hard + ramp * temperature ** 2 * soft, hard, soft


def dkd_objective(alpha: float, temperature: float, tckd_weight: float, nckd_weight: float,
                  warmup: int = 0, steps_per_epoch: int = 1) -> Objective:
    """DKD of each model from batches carrying the teacher's logits (``TEACHER_LOGITS``).

    The warm-up counts the fit's steps: epoch e (from 1) is step // steps_per_epoch + 1.
    """
    steps = [0]

    def objective(logits: Sequence[torch.Tensor], batch: Batch) -> list[StepLoss]:
        epoch = steps[0] // max(steps_per_epoch, 1) + 1
        steps[0] += 1
        ramp = min(epoch / warmup, 1.0) if warmup else 1.0
        teacher = batch.extras[TEACHER_LOGITS]
        return [GraphLoss(*dkd_loss(own, teacher, batch.labels, alpha, temperature,
                                    tckd_weight, nckd_weight, ramp, batch.fully_labeled))
                for own in logits]

    return objective


def _binary_log_probs(scaled_logits: torch.Tensor, targets: torch.Tensor,
                      target: torch.Tensor) -> torch.Tensor:
    """log [p_t, 1 - p_t] per row, computed in log space (no 1 - p cancellation)."""
    log_probs = F.log_softmax(scaled_logits, dim=1)
    log_target = log_probs.gather(1, targets.unsqueeze(1))
    log_rest = torch.logsumexp(log_probs.masked_fill(target, -torch.inf), dim=1, keepdim=True)
    return torch.cat([log_target, log_rest], dim=1)


def _kl_rows(log_p: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
    """sum_k p_k (log p_k - log q_k) per row; classes where p_k = 0 add nothing.

    Those classes are zeroed in both logs before subtracting, so neither the value nor
    the gradient meets -inf - -inf.
    """
    absent = torch.isneginf(log_p)
    difference = log_p.masked_fill(absent, 0.0) - log_q.masked_fill(absent, 0.0)
    return (log_p.exp() * difference).sum(dim=1)


@METHODS.register("dkd", params=PARAMS,
                  help="decoupled KD: target-class and non-target-class parts weighed apart")
class DecoupledDistillation:
    """Offline DKD from the teacher's cached logits (Zhao et al., CVPR 2022)."""

    uses_teacher_cache = True

    def __init__(self, alpha: float, temperature: float, tckd_weight: float,
                 nckd_weight: float, warmup: int, **_: Any) -> None:
        self.alpha, self.temperature = alpha, temperature
        self.tckd_weight, self.nckd_weight, self.warmup = tckd_weight, nckd_weight, warmup

    def phases(self) -> list[str]:
        return ["student"]

    def train(self, context: StudentContext) -> dict[str, nn.Module]:
        """Fit one student on batches that carry the teacher's raw logits."""
        train_set = context.student_train_set({TEACHER_LOGITS: context.cached_teacher_logits()})
        objective = dkd_objective(self.alpha, self.temperature, self.tckd_weight,
                                  self.nckd_weight, self.warmup, context.student_steps())
        student = context.new_student()
        context.fit(["student"], [student], objective, train_set)
        return {"student": student}
