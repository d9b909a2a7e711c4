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
weight, 1.0); the paper's alpha and beta are ``tckd_weight`` and ``nckd_weight``
(``distill.dkd_target_weight`` and ``distill.dkd_beta``). ``ramp`` = min(epoch / warmup,
1) grows the KD part over the first epochs (the paper's warm-up, ``distill.dkd_warmup``;
1 from the start when it is 0). The target class is the
label; a transfer-set row (label -1) uses the teacher's top class.

The training step (``dkd_step``) hands backward the closed-form gradient on the
student logits s (z = s / T, p = softmax(z), p̂ = softmax over the non-target classes,
c the target class, B the batch):

    d TCKD / d z = (p_c - p^T_c) * (onehot(c) - p̂^S)      (p̂^S_c taken as 0)
    d NCKD / d z = p̂^S - p̂^T                               (0 at c)
    d L / d s   = alpha * dCE/ds + ramp * T * (tckd_weight dTCKD/dz + nckd_weight dNCKD/dz) / B

(derivation: log p_c = z_c - LSE(z), log(1 - p_c) = LSE_{j != c}(z) - LSE(z)); the
test checks it against autograd on ``dkd_loss``. ``dkd_loss`` stays the reference.
DKD is ``distill.loss: dkd`` of the offline method (see offline.py and strategy.py).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from workbench.core.config.params import Param
from workbench.core.data.batches import UNLABELED, Batch, Progress, StepsAhead
from workbench.core.distill.losses import hard_loss
from workbench.core.distill.schedule import Schedule
from workbench.core.distill.step_loss import (TEACHER_LOGITS, DistillLoss, StepLoss,
                                              hard_loss_adding_grad)

__all__ = ["TEACHER_LOGITS", "DKD_PARAMS", "DKDObjective", "decoupled_kl", "dkd_loss",
           "dkd_objective", "dkd_step"]

DKD_TEACHER = "dkd_teacher"  # batch extra: ``teacher_parts`` at a fixed T, one row per image
DKD_TARGETS = "dkd_targets"  # batch extra: the target class (label, or the teacher's top one)
STEP_DKD_TEACHER = "dkd_teacher_at_step_t"  # the two above, made ahead at each step's own T
STEP_DKD_TARGETS = "dkd_targets_at_step_t"
TINY = torch.finfo(torch.float32).tiny  # 1 - p_c below this is taken as this (log stays finite)

DKD_PARAMS = (
    Param("dkd_beta", "float", 8.0, "loss: dkd — weight of non-target-class KD (the teacher's "
          "ranking of the wrong classes; the paper's beta)", minimum=0.0, maximum=100.0),
    Param("dkd_target_weight", "float", 1.0, "loss: dkd — weight of target-class KD (the "
          "teacher's confidence in the label; the paper's alpha)", minimum=0.0, maximum=100.0),
    Param("dkd_warmup", "int", 0, "loss: dkd — epochs over which the KD part ramps up "
          "linearly (0 = full weight from the start; the paper uses 20 of 240)", minimum=0,
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


def dkd_targets(labels: torch.Tensor, teacher_logits: torch.Tensor) -> torch.Tensor:
    """The target class per row: the label, or the teacher's top class where it is -1."""
    return torch.where(labels == UNLABELED, teacher_logits.argmax(1), labels)


def dkd_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor,
             alpha: float, temperature: float, tckd_weight: float, nckd_weight: float,
             ramp: float = 1.0, fully_labeled: bool = False
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(total, hard, soft): soft = tckd_weight * TCKD + nckd_weight * NCKD, batch mean."""
    hard = hard_loss(student_logits, labels, fully_labeled)
    targets = dkd_targets(labels, teacher_logits)
    tckd, nckd = decoupled_kl(student_logits, teacher_logits, targets, temperature)
    soft = tckd_weight * tckd.mean() + nckd_weight * nckd.mean()
    return alpha * hard + ramp * temperature ** 2 * soft, hard, soft


def teacher_parts(teacher_logits: torch.Tensor, targets: torch.Tensor,
                  temperature: float | torch.Tensor, tckd_weight: float,
                  nckd_weight: float) -> torch.Tensor:
    """All a DKD step needs of the teacher at T and the two weights, one row per image.

    Columns (w_t, w_n the TCKD and NCKD weights, b = [p^T_c, 1 - p^T_c]):
    q = w_n p̂^T + w_t p^T_c onehot(c) (C columns) | w_n + w_t p^T_c | w_n - w_t (1 - p^T_c)
    | w_t sum b log b + w_n sum p̂^T log p̂^T. Made once per fit at a fixed T; when T
    moves, for several steps at once with ``temperature`` a column (each row's step's
    T; see ``DKDObjective.prepare``). Worked out in log space, so a teacher sure of one
    class (a top-1 answer: the others far below) still gets its p̂ over the rest, as
    ``decoupled_kl`` does.
    """
    column = targets.unsqueeze(1)
    scaled = teacher_logits.float() / temperature
    log_probs = torch.log_softmax(scaled, dim=1)
    log_hat = torch.log_softmax(scaled.scatter(1, column, -torch.inf), dim=1)  # -inf at c
    log_rest = (log_probs - log_hat).amin(1, keepdim=True)  # the same for every k != c
    hat = log_hat.exp()
    binary = torch.cat([log_probs.gather(1, column), log_rest], dim=1).exp_()
    target, rest = binary.split(1, dim=1)
    constant = (torch.special.xlogy(binary, binary).sum(1, keepdim=True) * tckd_weight
                + torch.special.xlogy(hat, hat).sum(1, keepdim=True) * nckd_weight)
    weighted = (hat * nckd_weight).scatter_(1, column, target * tckd_weight)  # hat is 0 at c
    return torch.cat([weighted, nckd_weight + tckd_weight * target,
                      nckd_weight - tckd_weight * rest, constant], dim=1)


def dkd_extras(teacher_logits: torch.Tensor, labels: torch.Tensor, temperature: float,
               tckd_weight: float, nckd_weight: float) -> dict[str, torch.Tensor]:
    """Per-row extras of a fixed-T DKD fit: the teacher's packed parts and target classes.

    ``labels`` has one row per image; ``teacher_logits`` may hold several views of each
    (view by view), which share their image's label.
    """
    repeats = teacher_logits.shape[0] // max(1, labels.shape[0])
    targets = dkd_targets(labels.to(teacher_logits.device).repeat(repeats), teacher_logits)
    return {DKD_TEACHER: teacher_parts(teacher_logits, targets, temperature, tckd_weight,
                                       nckd_weight),
            DKD_TARGETS: targets}


def dkd_step(logits: torch.Tensor, labels: torch.Tensor, teacher_logits: torch.Tensor,
             alpha: float, temperature: float, tckd_weight: float, nckd_weight: float,
             ramp: float = 1.0, fully_labeled: bool = False) -> StepLoss:
    """One DKD step with its gradient on the logits in closed form (values as ``dkd_loss``)."""
    targets = labels if fully_labeled else dkd_targets(labels, teacher_logits)
    parts = teacher_parts(teacher_logits, targets, temperature, tckd_weight, nckd_weight)
    return dkd_step_from_parts(logits, labels, targets, parts, alpha, temperature,
                               tckd_weight, ramp, fully_labeled)


def dkd_step_from_parts(logits: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor,
                        parts: torch.Tensor, alpha: float, temperature: float,
                        tckd_weight: float, ramp: float = 1.0,
                        fully_labeled: bool = False) -> StepLoss:
    """``dkd_step`` with the teacher's side given as ``teacher_parts`` (see the module doc).

    With log p = log_softmax(z) and r = 1 - p_c summed over the other classes (no
    cancellation), the weighted soft loss of a row is, in the parts' columns,

        w_t TCKD + w_n NCKD = constant - q . log p + (w_n - w_t (1 - p^T_c)) log r

    and its gradient on z is p_k (w_n + w_t p^T_c - w_t p_c) / r (0 at c) - q + w_t p_c
    onehot(c). About twenty small kernels in all; a KD step takes about a dozen.
    """
    rows, classes = logits.shape
    with torch.no_grad():
        scores = logits.detach()
        weighted, base, rest_weight, constant = parts.split([classes, 1, 1, 1], dim=1)
        column = targets.unsqueeze(1)
        log_probs = torch.log_softmax(scores * (1.0 / temperature), dim=1)
        others = log_probs.exp()
        target = others.gather(1, column)  # p_c
        rest = others.scatter_(1, column, 0.0).sum(1, keepdim=True).clamp_(min=TINY)  # 1 - p_c
        soft_sum = torch.addcmul(constant, rest_weight, rest.log()).sum().sub_(
            (weighted * log_probs).sum())
        grad = others.mul_(base.sub(target, alpha=tckd_weight).div_(rest)).sub_(weighted)
        grad.scatter_add_(1, column, target.mul_(tckd_weight)).mul_(ramp * temperature / rows)
        hard = hard_loss_adding_grad(scores, labels, fully_labeled, grad, alpha)
    return DistillLoss(hard, soft_sum, rows, logits, grad, alpha, ramp * temperature ** 2)


@dataclass(frozen=True)
class DKDObjective:
    """DKD of each model from batches carrying the teacher's logits (``TEACHER_LOGITS``).

    alpha and T follow ``schedule``; the warm-up ramp is min(epoch / warmup, 1) with the
    epoch read from the batch's progress, so a resumed fit ramps alike.
    """

    schedule: Schedule
    tckd_weight: float
    nckd_weight: float
    warmup: int = 0

    def ramp(self, progress: Progress) -> float:
        return min(progress.epoch / self.warmup, 1.0) if self.warmup else 1.0

    @property
    def prepare(self) -> Callable[[StepsAhead], dict[str, torch.Tensor]] | None:
        """A moving T: the teacher's parts of upcoming steps, each at its own T, made at
        once (about twenty kernels over a block instead of over every batch)."""
        return self._parts_ahead if self.schedule.moves_temperature else None

    def _parts_ahead(self, ahead: StepsAhead) -> dict[str, torch.Tensor]:
        if TEACHER_LOGITS not in ahead.extras:
            return {}
        with torch.no_grad():
            teacher = ahead.extras[TEACHER_LOGITS]
            targets = dkd_targets(ahead.labels, teacher)
            temperature = ahead.per_row(self.schedule.temperatures(ahead.progress))
            parts = teacher_parts(teacher, targets, temperature, self.tckd_weight,
                                  self.nckd_weight)
        return {STEP_DKD_TEACHER: parts, STEP_DKD_TARGETS: targets}

    def __call__(self, logits: Sequence[torch.Tensor], batch: Batch) -> list[StepLoss]:
        alpha, temperature = self.schedule.at(batch.progress.fraction)
        ramp, labels = self.ramp(batch.progress), batch.labels
        if STEP_DKD_TEACHER in batch.extras:
            parts = batch.extras[STEP_DKD_TEACHER]
            targets = labels if batch.fully_labeled else batch.extras[STEP_DKD_TARGETS]
        elif DKD_TEACHER in batch.extras and not self.schedule.moves_temperature:
            parts = batch.extras[DKD_TEACHER]
            targets = labels if batch.fully_labeled else batch.extras[DKD_TARGETS]
        else:  # a moving T without parts made ahead: the teacher's side at this step's T
            with torch.no_grad():
                teacher = batch.extras[TEACHER_LOGITS]
                targets = labels if batch.fully_labeled else dkd_targets(labels, teacher)
                parts = teacher_parts(teacher, targets, temperature, self.tckd_weight,
                                      self.nckd_weight)
        return [dkd_step_from_parts(own, labels, targets, parts, alpha, temperature,
                                    self.tckd_weight, ramp, batch.fully_labeled)
                for own in logits]

    def metrics(self, progress: Progress) -> dict[str, float]:
        return {**self.schedule.metrics(progress.fraction), "kd_ramp": self.ramp(progress)}


def dkd_objective(alpha: float, temperature: float, tckd_weight: float, nckd_weight: float,
                  warmup: int = 0, schedule: Schedule | None = None) -> DKDObjective:
    """DKD at fixed ``alpha`` and ``temperature``, or following ``schedule``."""
    return DKDObjective(schedule or Schedule("constant", alpha, temperature), tckd_weight,
                        nckd_weight, warmup)


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
