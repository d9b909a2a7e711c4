"""Self-distillation (born-again networks): each generation learns from the previous one.

Generation 0 is the student architecture trained on labels alone; generation k+1, the
same architecture freshly initialised, learns from generation k's softened outputs (and
the labels, weighted by alpha). The last generation is reported as the student.
"""
from __future__ import annotations

from typing import Any

from torch import nn

from workbench.core.distill.method import StudentContext
from workbench.core.distill.step_loss import kd_objective
from workbench.core.distill.offline import KD_PARAMS
from workbench.core.distill.registry import METHODS
from workbench.core.config.params import Param

PARAMS = (Param("generations", "int", 2, "generations distilled after generation 0",
                minimum=1, maximum=10),) + KD_PARAMS


@METHODS.register("self", params=PARAMS,
                  help="born-again self-distillation: a model teaches a fresh copy of itself")
class SelfDistillation:
    uses_teacher_cache = False

    def __init__(self, generations: int, alpha: float, temperature: float, **_: Any) -> None:
        self.generations, self.alpha, self.temperature = generations, alpha, temperature

    def phases(self) -> list[str]:
        return [f"gen-{index}" for index in range(self.generations)] + ["student"]

    def train(self, context: StudentContext) -> dict[str, nn.Module]:
        names = self.phases()
        previous = context.new_student()
        context.fit_labels_only(names[0], previous)
        models = {names[0]: previous}
        for generation, name in enumerate(names[1:], start=1):
            teacher_logits = context.logits(previous)
            train_set = context.distill_train_set(teacher_logits, self.temperature)
            model = context.new_student(seed_offset=generation)
            context.fit([name], [model], kd_objective(self.alpha, self.temperature), train_set)
            models[name] = previous = model
        return models
