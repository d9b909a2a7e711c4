"""Online distillation (deep mutual learning): peers learn together, teaching each other.

No pre-trained teacher is needed (Zhang et al., 2018): each peer minimises

    alpha * CE(peer, y) + (1 - alpha) * T^2 * mean_j KL(p_j || p_peer)

over the other peers j, all fitted in one loop on the same batches. The others'
distributions are detached, so each peer's loss reaches its own weights only.
alpha and T may follow a schedule (``distill.schedule``) over the peers' steps.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import torch
from torch import nn

from workbench.core.config.params import Param
from workbench.core.data.batches import Batch, Progress
from workbench.core.distill.losses import hard_loss, soft_loss, soft_targets
from workbench.core.distill.method import StudentContext
from workbench.core.distill.offline import KD_PARAMS
from workbench.core.distill.registry import METHODS
from workbench.core.distill.schedule import SCHEDULE_PARAMS, Schedule
from workbench.core.distill.step_loss import GraphLoss, StepLoss

PARAMS = (Param("peers", "int", 2, "models trained together (the student's architecture, "
                "seeds train.seed, +1, +2...)", minimum=2, maximum=8),) + KD_PARAMS \
    + SCHEDULE_PARAMS


def mutual_losses(logits: Sequence[torch.Tensor], labels: torch.Tensor, alpha: float,
                  temperature: float, fully_labeled: bool = False
                  ) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Each peer's (total, hard, soft); soft = mean KL from the other peers' outputs at T."""
    with torch.no_grad():
        targets = [soft_targets(peer, temperature) for peer in logits]
    losses = []
    for index, own in enumerate(logits):
        hard = hard_loss(own, labels, fully_labeled)
        others = [target for other, target in enumerate(targets) if other != index]
        soft = cast(torch.Tensor, sum(soft_loss(own, target.probs, target.neg_entropy,
                                                temperature) for target in others) / len(others))
        total = alpha * hard + (1.0 - alpha) * temperature ** 2 * soft
        losses.append((total, hard, soft))
    return losses


@dataclass(frozen=True)
class MutualObjective:
    """The loop's objective for N peers: one loss per peer, taught by the others."""

    schedule: Schedule

    def __call__(self, logits: Sequence[torch.Tensor], batch: Batch) -> list[StepLoss]:
        alpha, temperature = self.schedule.at(batch.progress.fraction)
        return [GraphLoss(total, hard, soft) for total, hard, soft in
                mutual_losses(logits, batch.labels, alpha, temperature, batch.fully_labeled)]

    def metrics(self, progress: Progress) -> dict[str, float]:
        return self.schedule.metrics(progress.fraction)


def mutual_objective(alpha: float, temperature: float,
                     schedule: Schedule | None = None) -> MutualObjective:
    """Mutual learning at fixed ``alpha`` and ``temperature``, or following ``schedule``."""
    return MutualObjective(schedule or Schedule("constant", alpha, temperature))


@METHODS.register("online", params=PARAMS,
                  help="deep mutual learning: peers train together and teach each other")
class OnlineDistillation:
    uses_teacher_cache = False

    def __init__(self, peers: int, alpha: float, temperature: float,
                 schedule: str = "constant", alpha_end: float | None = None,
                 temperature_end: float | None = None, **_: Any) -> None:
        self.peers, self.alpha, self.temperature = peers, alpha, temperature
        self.schedule = Schedule(schedule, alpha, temperature, alpha_end, temperature_end)

    def phases(self) -> list[str]:
        """Peer 1 (same seed as the baseline) is reported as the student."""
        return ["student"] + [f"peer-{index}" for index in range(2, self.peers + 1)]

    def train(self, context: StudentContext) -> dict[str, nn.Module]:
        names = self.phases()
        models = [context.new_student(seed_offset=index) for index in range(len(names))]
        context.fit(names, models, mutual_objective(self.alpha, self.temperature,
                                                    self.schedule),
                    context.student_train_set())
        return dict(zip(names, models))
