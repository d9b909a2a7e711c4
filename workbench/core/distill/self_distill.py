"""Self-distillation (born-again networks): each generation learns from the previous one.

Generation 0 is the student architecture trained on labels alone; generation k+1, the
same architecture freshly initialised, learns from generation k's softened outputs (and
the labels, weighted by alpha). The last generation is reported as the student.
alpha and T may follow a schedule (``distill.schedule``), within each generation's fit.
"""
from __future__ import annotations

from typing import Any

from torch import nn

from workbench.core.distill.method import StudentContext
from workbench.core.distill.offline import KD_PARAMS
from workbench.core.distill.registry import METHODS
from workbench.core.distill.schedule import SCHEDULE_PARAMS, Schedule
from workbench.core.distill.strategy import TeachingStrategy, teach
from workbench.core.config.params import Param

PARAMS = (Param("generations", "int", 2, "generations distilled after generation 0",
                minimum=1, maximum=10),) + KD_PARAMS + SCHEDULE_PARAMS


@METHODS.register("self", params=PARAMS,
                  help="born-again self-distillation: a model teaches a fresh copy of itself")
class SelfDistillation:
    uses_teacher_cache = False

    def __init__(self, generations: int, alpha: float, temperature: float,
                 schedule: str = "constant", alpha_end: float | None = None,
                 temperature_end: float | None = None, **_: Any) -> None:
        self.generations, self.alpha, self.temperature = generations, alpha, temperature
        self.strategy = TeachingStrategy(Schedule(schedule, alpha, temperature, alpha_end,
                                                  temperature_end))

    def phases(self) -> list[str]:
        return [f"gen-{index}" for index in range(self.generations)] + ["student"]

    def train(self, context: StudentContext) -> dict[str, nn.Module]:
        names = self.phases()
        previous = context.new_student()
        context.fit_labels_only(names[0], previous)
        models = {names[0]: previous}
        for generation, name in enumerate(names[1:], start=1):
            teacher_logits = context.logits(previous)
            model = context.new_student(seed_offset=generation)
            teach(context, name, model, teacher_logits, self.strategy)
            models[name] = previous = model
        return models
