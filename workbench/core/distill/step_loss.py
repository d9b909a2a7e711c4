"""What one training step back-propagates, and the three losses it reports.

An objective maps every model's logits (one model, or N peers) and the batch to one
step loss per model. The loop calls each loss's ``backward()`` once per step and
``values()`` after the optimizer steps, so reading the losses (a device sync on GPUs)
never stalls queued work.

``kd_step`` is the per-step form of ``losses.kd_loss``: the soft term's gradient
with respect to the student logits has the closed form

    d/ds [(1 - alpha) * T^2 * KL(p || softmax(s / T))] = (1 - alpha) * T * (q - p) / B,

with ``q = softmax(s / T)`` and B the batch size, and the hard loss's is
``alpha * (softmax(s) - onehot(y)) / labeled rows``. Both are computed without an
autograd graph and handed to backward as the logits' gradient: about a dozen small
ops instead of two dozen recorded ones and their backward. The loss values are the
same as ``kd_loss``'s.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import torch
import torch.nn.functional as F

from workbench.core.data.batches import UNLABELED, Batch, Progress, StepsAhead
from workbench.core.distill.losses import hard_loss, soft_targets
from workbench.core.distill.schedule import Schedule

TEACHER_LOGITS = "teacher_logits"  # batch extra: the teacher's raw logits per row
STEP_PROBS = "probs_at_step_t"  # batch extras made ahead (``prepare``) at each step's own T
STEP_NEG_ENTROPY = "neg_entropy_at_step_t"


class StepLoss(Protocol):
    """One model's loss for one step: back-propagated once, read after the optimizer step."""

    def backward(self) -> None:
        """Accumulate this loss's gradient into its model's parameters."""

    def values(self) -> tuple[float, float, float]:
        """(total, hard, soft) as plain floats, for the step's event."""


# objective(every model's logits, batch) -> one StepLoss per model, in the same order
Objective = Callable[[Sequence[torch.Tensor], Batch], Sequence[StepLoss]]


@dataclass(frozen=True)
class PlainLoss:
    """Cross-entropy only: total = hard, no soft term."""

    loss: torch.Tensor

    def backward(self) -> None:
        self.loss.backward()

    def values(self) -> tuple[float, float, float]:
        value = self.loss.item()
        return value, value, 0.0


@dataclass(frozen=True)
class DistillLoss:
    """``alpha * hard + soft_weight * soft`` with its gradient on the logits precomputed."""

    hard: torch.Tensor
    soft_sum: torch.Tensor  # batch sum of KL(p || q); divided by ``rows`` when read
    rows: int
    logits: torch.Tensor
    logits_grad: torch.Tensor
    alpha: float
    soft_weight: float

    def backward(self) -> None:
        self.logits.backward(self.logits_grad)

    def values(self) -> tuple[float, float, float]:
        hard, soft = self.hard.item(), self.soft_sum.item() / self.rows
        return self.alpha * hard + self.soft_weight * soft, hard, soft


@dataclass(frozen=True)
class GraphLoss:
    """A total recorded by autograd, with the hard and soft terms it reports."""

    total: torch.Tensor
    hard: torch.Tensor
    soft: torch.Tensor

    def backward(self) -> None:
        self.total.backward()

    def values(self) -> tuple[float, float, float]:
        return self.total.item(), self.hard.item(), self.soft.item()


def kd_step(logits: torch.Tensor, labels: torch.Tensor, probs: torch.Tensor,
            neg_entropy: torch.Tensor, alpha: float, temperature: float,
            fully_labeled: bool = False) -> StepLoss:
    """One step of Hinton KD; alpha = 1 is exactly plain cross-entropy training."""
    if alpha >= 1.0:
        return PlainLoss(hard_loss(logits, labels, fully_labeled))
    rows = logits.shape[0]
    with torch.no_grad():
        scores = logits.detach()
        log_q = torch.log_softmax(scores / temperature, dim=1)
        soft_sum = neg_entropy.sum().sub_(torch.dot(probs.reshape(-1), log_q.reshape(-1)))
        grad = log_q.exp_().sub_(probs).mul_((1.0 - alpha) * temperature / rows)
        hard = hard_loss_adding_grad(scores, labels, fully_labeled, grad, alpha)
    return DistillLoss(hard, soft_sum, rows, logits, grad, alpha,
                       (1.0 - alpha) * temperature ** 2)


def hard_loss_adding_grad(scores: torch.Tensor, labels: torch.Tensor, fully_labeled: bool,
                           grad: torch.Tensor, alpha: float) -> torch.Tensor:
    """``hard_loss``'s value; adds ``alpha`` times its gradient to ``grad``.

    The gradient of mean cross-entropy is (softmax(s) - onehot(y)) / labeled rows.
    """
    log_p = torch.log_softmax(scores, dim=1)
    if fully_labeled:
        hard = F.nll_loss(log_p, labels)
        if alpha > 0.0:
            step = log_p.exp_()
            step.scatter_add_(1, labels.unsqueeze(1), _minus_ones(labels, step))
            grad.add_(step, alpha=alpha / labels.shape[0])
        return hard
    labeled = labels != UNLABELED
    count = labeled.sum().clamp(min=1)
    hard = F.nll_loss(log_p, labels, ignore_index=UNLABELED, reduction="sum") / count
    if alpha > 0.0:
        step = log_p.exp_().mul_(labeled.unsqueeze(1))
        step.scatter_add_(1, labels.clamp(min=0).unsqueeze(1), -labeled.to(step.dtype).unsqueeze(1))
        grad.add_(step.div_(count), alpha=alpha)
    return hard


def _minus_ones(labels: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return torch.full((labels.shape[0], 1), -1.0, dtype=like.dtype, device=like.device)


def cross_entropy_objective(logits: Sequence[torch.Tensor], batch: Batch) -> list[StepLoss]:
    """Plain supervised training of each model (the hard loss KD uses at alpha = 1)."""
    return [PlainLoss(hard_loss(own, batch.labels, batch.fully_labeled)) for own in logits]


@dataclass(frozen=True)
class KDObjective:
    """Hinton KD of each model, with alpha and T taken from ``schedule`` at each step.

    Batches carry ``probs``/``neg_entropy`` (softened once at a fixed T) or the
    teacher's raw logits (``TEACHER_LOGITS``). With a moving T the loop's
    ``prepare`` softens several steps' rows at once, each at its step's T
    (``STEP_PROBS``); a batch without them is softened at its step's T here.
    """

    schedule: Schedule

    @property
    def prepare(self) -> Callable[[StepsAhead], dict[str, torch.Tensor]] | None:
        """A moving T: the soft targets of upcoming steps, each at its own T, made at once."""
        return self._soft_targets_ahead if self.schedule.moves_temperature else None

    def _soft_targets_ahead(self, ahead: StepsAhead) -> dict[str, torch.Tensor]:
        if TEACHER_LOGITS not in ahead.extras:
            return {}
        with torch.no_grad():
            targets = soft_targets(ahead.extras[TEACHER_LOGITS],
                                   ahead.per_row(self.schedule.temperatures(ahead.progress)))
        return {STEP_PROBS: targets.probs, STEP_NEG_ENTROPY: targets.neg_entropy}

    def __call__(self, logits: Sequence[torch.Tensor], batch: Batch) -> list[StepLoss]:
        alpha, temperature = self.schedule.at(batch.progress.fraction)
        if STEP_PROBS in batch.extras:
            probs, neg_entropy = batch.extras[STEP_PROBS], batch.extras[STEP_NEG_ENTROPY]
        elif "probs" in batch.extras and not self.schedule.moves_temperature:
            probs, neg_entropy = batch.extras["probs"], batch.extras["neg_entropy"]
        else:
            with torch.no_grad():
                targets = soft_targets(batch.extras[TEACHER_LOGITS], temperature)
            probs, neg_entropy = targets.probs, targets.neg_entropy
        return [kd_step(own, batch.labels, probs, neg_entropy, alpha, temperature,
                        batch.fully_labeled) for own in logits]

    def metrics(self, progress: Progress) -> dict[str, float]:
        """The step's alpha and T, for the epoch event (and metrics.jsonl)."""
        return self.schedule.metrics(progress.fraction)


def kd_objective(alpha: float, temperature: float,
                 schedule: Schedule | None = None) -> KDObjective:
    """Hinton KD at fixed ``alpha`` and ``temperature``, or following ``schedule``."""
    return KDObjective(schedule or Schedule("constant", alpha, temperature))
