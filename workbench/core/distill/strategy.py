"""How a student is taught from a teacher's cached logits: loss, schedule, curriculum.

One place assembles the three strategies of a distillation fit, so every method
that learns from cached outputs (offline, the legacy ``dkd``, self-distillation's
generations, a teaching assistant's stage) gets them alike:

- ``loss``: ``kd`` (Hinton) or ``dkd`` (decoupled KD, dkd.py), both with a
  closed-form gradient on the logits;
- ``schedule``: alpha and T moved per optimizer step (schedule.py);
- ``curriculum``: which training images each step may draw (curriculum.py).

A fixed-T fit prepares the teacher's side once (KD: ``probs``/``neg_entropy``,
DKD: ``dkd.teacher_parts``); a moving T carries the raw logits, and the objective's
``prepare`` softens them for blocks of upcoming steps, each row at its own step's T
(engine/steps_ahead.py).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import nn

from workbench.core.config.params import Param
from workbench.core.data.batches import TrainSet
from workbench.core.distill.curriculum import CURRICULUM_PARAMS, SelfPaced, build_curriculum
from workbench.core.distill.dkd import DKD_PARAMS, DKDObjective, dkd_extras
from workbench.core.distill.method import StudentContext
from workbench.core.distill.schedule import SCHEDULE_PARAMS, Schedule
from workbench.core.distill.step_loss import TEACHER_LOGITS, KDObjective, Objective

LOSSES = ("kd", "dkd")
LOSS_PARAMS = (
    Param("loss", "str", "kd", "the distillation term: Hinton KD, or decoupled KD (target "
          "and non-target classes weighed apart; Zhao et al. 2022)", choices=LOSSES),
) + DKD_PARAMS
# declared by every method that distils from cached outputs, after alpha and temperature
TEACHING_PARAMS = SCHEDULE_PARAMS + LOSS_PARAMS + CURRICULUM_PARAMS


@dataclass(frozen=True)
class TeachingStrategy:
    """The validated ``distill`` values that shape one student fit."""

    schedule: Schedule
    loss: str = "kd"
    dkd_beta: float = 8.0
    dkd_target_weight: float = 1.0
    dkd_warmup: int = 0
    curriculum: str = "none"
    pacing: str = "linear"
    start_fraction: float = 0.25

    @classmethod
    def from_params(cls, alpha: float, temperature: float, schedule: str = "constant",
                    alpha_end: float | None = None, temperature_end: float | None = None,
                    **values: Any) -> TeachingStrategy:
        """From a method's ``distill`` params (keys it does not declare take defaults)."""
        known = {name: values[name] for name in ("loss", "dkd_beta", "dkd_target_weight",
                                                  "dkd_warmup", "curriculum", "pacing",
                                                  "start_fraction") if name in values}
        return cls(Schedule(schedule, alpha, temperature, alpha_end, temperature_end), **known)

    def train_set(self, context: StudentContext, teacher_logits: torch.Tensor) -> TrainSet:
        """All training rows with the teacher's targets, drawn by the curriculum."""
        fixed = not self.schedule.moves_temperature
        if self.loss == "kd" and fixed:
            train_set = context.distill_train_set(teacher_logits, self.schedule.temperature)
        elif fixed:  # DKD: the teacher's side once, at the one T
            labels = context.student_train_set().labels
            train_set = context.student_train_set(
                dkd_extras(teacher_logits, labels, self.schedule.temperature,
                           self.dkd_target_weight, self.dkd_beta))
        else:
            train_set = context.student_train_set({TEACHER_LOGITS: teacher_logits})
        sampler = build_curriculum(self.curriculum, self.pacing, self.start_fraction,
                                   teacher_logits, train_set.labels, train_set.rows,
                                   len(train_set) // max(1, int(train_set.rows.shape[0])))
        return train_set if sampler is None else replace(train_set, sampler=sampler)

    def objective(self, train_set: TrainSet) -> Objective:
        """The step loss; a self-paced curriculum also reads the student's losses."""
        objective: Objective = (
            DKDObjective(self.schedule, self.dkd_target_weight, self.dkd_beta, self.dkd_warmup)
            if self.loss == "dkd" else KDObjective(self.schedule))
        if self.curriculum == "self-paced" and train_set.sampler is not None:
            return SelfPaced(objective, train_set.sampler)  # type: ignore[arg-type]
        return objective


def teach(context: StudentContext, phase: str, model: nn.Module, teacher_logits: torch.Tensor,
          strategy: TeachingStrategy) -> None:
    """Fit ``model`` (reported as ``phase``) on ``teacher_logits`` the way ``strategy`` says."""
    train_set = strategy.train_set(context, teacher_logits)
    context.fit([phase], [model], strategy.objective(train_set), train_set)
