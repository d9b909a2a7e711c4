"""Offline knowledge distillation: the student learns from cached teacher outputs.

How it learns (the KD or DKD term, alpha and T schedules, a curriculum) is the
``TeachingStrategy`` of strategy.py, declared here as the method's parameters.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from torch import nn

from workbench.core.config.params import Param
from workbench.core.distill.defenses import hide_outputs
from workbench.core.distill.dkd import DKD_PARAMS
from workbench.core.distill.method import StudentContext
from workbench.core.distill.registry import METHODS
from workbench.core.distill.strategy import TEACHING_PARAMS, TeachingStrategy, teach

KD_PARAMS = (
    Param("alpha", "float", 0.5, "weight of the hard-label loss (1 = plain training, "
          "0 = teacher only); with a schedule, its value at the first step",
          minimum=0.0, maximum=1.0),
    Param("temperature", "float", 4.0, "softening temperature T of both softmaxes; with a "
          "schedule, its value at the first step",
          minimum=0.0, exclusive_minimum=True, maximum=100.0),
)
# Hiding the fingerprint (workbench detect --defense): declared for the offline method only.
DEFENSE_PARAMS = (
    Param("teacher_noise", "float", 0.0, "sigma of Gaussian noise on the teacher's logits, "
          "drawn once per image (hides the fingerprint; 0 = none)", minimum=0.0, maximum=100.0),
    Param("top_k", "int", 0, "keep only the teacher's k most likely classes, renormalised, "
          "as APIs return them (0 = all)", minimum=0, maximum=100000),
)


@METHODS.register("offline", params=KD_PARAMS + TEACHING_PARAMS + DEFENSE_PARAMS,
                  help="Hinton KD (or DKD) from teacher logits computed once and cached")
class OfflineDistillation:
    """alpha * CE(student, y) + (1 - alpha) * T^2 * KL(teacher_T || student_T), or DKD."""

    uses_teacher_cache = True

    def __init__(self, alpha: float, temperature: float, teacher_noise: float = 0.0,
                 top_k: int = 0, **teaching: Any) -> None:
        self.alpha = alpha
        self.temperature = temperature
        self.teacher_noise = teacher_noise
        self.top_k = top_k
        self.strategy = TeachingStrategy.from_params(alpha, temperature, **teaching)

    def train(self, context: StudentContext) -> dict[str, nn.Module]:
        """Fit one student on the teacher's cached outputs."""
        logits = hide_outputs(context.cached_teacher_logits(), self.teacher_noise, self.top_k)
        student = context.new_student()
        teach(context, "student", student, logits, self.strategy)
        return {"student": student}

    def phases(self) -> list[str]:
        return ["student"]


# ``method: dkd`` (before ``distill.loss`` existed): kept so saved presets load and run as
# they did; it is the offline method with ``loss: dkd`` under the old parameter names.
def _renamed(param: Param, name: str) -> Param:
    """A DKD parameter under its name from before ``distill.loss`` (no "loss: dkd" prefix)."""
    return replace(param, name=name, help=param.help.removeprefix("loss: dkd — "))


LEGACY_DKD_PARAMS = (
    Param("alpha", "float", 1.0, "weight of the hard-label loss (the paper's CE weight; the "
          "KD parts have their own weights)", minimum=0.0, maximum=1.0),
    KD_PARAMS[1],
    _renamed(DKD_PARAMS[1], "tckd_weight"),
    _renamed(DKD_PARAMS[0], "nckd_weight"),
    _renamed(DKD_PARAMS[2], "warmup"),
)


@METHODS.register("dkd", params=LEGACY_DKD_PARAMS,
                  help="decoupled KD — the same as offline with loss: dkd (kept for saved "
                  "presets; new ones use offline, which adds schedules and curricula)")
class DecoupledDistillation(OfflineDistillation):
    """``offline`` with ``loss: dkd``: tckd/nckd weights and warm-up under their old names."""

    def __init__(self, alpha: float, temperature: float, tckd_weight: float = 1.0,
                 nckd_weight: float = 8.0, warmup: int = 0, **_: Any) -> None:
        super().__init__(alpha, temperature, loss="dkd", dkd_beta=nckd_weight,
                         dkd_target_weight=tckd_weight, dkd_warmup=warmup)
