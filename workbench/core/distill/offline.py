"""Offline knowledge distillation: the student learns from cached teacher outputs."""
from __future__ import annotations

from typing import Any

from torch import nn

from workbench.core.distill.defenses import hide_outputs
from workbench.core.distill.method import StudentContext
from workbench.core.distill.step_loss import kd_objective
from workbench.core.distill.registry import METHODS
from workbench.core.config.params import Param

KD_PARAMS = (
    Param("alpha", "float", 0.5, "weight of the hard-label loss (1 = plain training, "
          "0 = teacher only)", minimum=0.0, maximum=1.0),
    Param("temperature", "float", 4.0, "softening temperature T of both softmaxes",
          minimum=0.0, exclusive_minimum=True, maximum=100.0),
)
# Hiding the fingerprint (workbench detect --defense): declared for the offline method only.
DEFENSE_PARAMS = (
    Param("teacher_noise", "float", 0.0, "sigma of Gaussian noise on the teacher's logits, "
          "drawn once per image (hides the fingerprint; 0 = none)", minimum=0.0, maximum=100.0),
    Param("top_k", "int", 0, "keep only the teacher's k most likely classes, renormalised, "
          "as APIs return them (0 = all)", minimum=0, maximum=100000),
)


@METHODS.register("offline", params=KD_PARAMS + DEFENSE_PARAMS,
                  help="Hinton KD from teacher logits computed once and cached")
class OfflineDistillation:
    """alpha * CE(student, y) + (1 - alpha) * T^2 * KL(teacher_T || student_T)."""

    uses_teacher_cache = True

    def __init__(self, alpha: float, temperature: float, teacher_noise: float = 0.0,
                 top_k: int = 0, **_: Any) -> None:
        self.alpha = alpha
        self.temperature = temperature
        self.teacher_noise = teacher_noise
        self.top_k = top_k

    def train(self, context: StudentContext) -> dict[str, nn.Module]:
        """Fit one student on the teacher's cached outputs, softened at T."""
        train_set = context.distill_train_set(
            hide_outputs(context.cached_teacher_logits(), self.teacher_noise, self.top_k),
            self.temperature)
        student = context.new_student()
        context.fit(["student"], [student], kd_objective(self.alpha, self.temperature),
                    train_set)
        return {"student": student}

    def phases(self) -> list[str]:
        return ["student"]
