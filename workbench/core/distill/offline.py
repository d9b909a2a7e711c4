"""Offline knowledge distillation: the student learns from cached teacher outputs."""
from __future__ import annotations

from typing import Any

import torch

from workbench.core.distill.losses import kd_loss, soft_targets
from workbench.core.distill.registry import METHODS
from workbench.core.params import Param

KD_PARAMS = (
    Param("alpha", "float", 0.5, "weight of the hard-label loss (1 = plain training, "
          "0 = teacher only)", minimum=0.0, maximum=1.0),
    Param("temperature", "float", 4.0, "softening temperature T of both softmaxes",
          minimum=0.0, exclusive_minimum=True, maximum=100.0),
)


@METHODS.register("offline", params=KD_PARAMS,
                  help="Hinton KD from teacher logits computed once and cached")
class OfflineDistillation:
    """alpha * CE(student, y) + (1 - alpha) * T^2 * KL(teacher_T || student_T)."""

    uses_teacher_cache = True

    def __init__(self, alpha: float, temperature: float, **_: Any) -> None:
        self.alpha = alpha
        self.temperature = temperature

    def train(self, context: Any) -> dict[str, torch.nn.Module]:
        """Fit one student; ``context`` is the engine's StudentContext."""
        targets = soft_targets(context.teacher_logits, self.temperature)
        train_set = context.student_train_set({"probs": targets.probs,
                                               "neg_entropy": targets.neg_entropy})
        alpha, temperature = self.alpha, self.temperature

        def objective(logits: torch.Tensor, batch: Any):
            return kd_loss(logits, batch.labels, batch.extras["probs"],
                           batch.extras["neg_entropy"], alpha, temperature,
                           batch.fully_labeled)

        student = context.new_student()
        context.fit("student", student, objective, train_set)
        return {"student": student}
