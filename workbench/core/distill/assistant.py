"""Teaching assistants (TAKD, Mirzadeh et al. 2020): teacher -> assistant(s) -> student.

A large gap between teacher and student can make the teacher's outputs hard to
imitate; a mid-sized assistant distilled from the teacher, then teaching the
student, bridges it. Every stage is distilled (same alpha and T) from the cached
outputs of the stage before it: the teacher's for the first assistant, assistant k's
(computed once, after it is trained) for stage k + 1, the last assistant's for the
student. Each stage is a model of the run: benchmarked, saved, plotted. Every stage
is taught the same way (``TeachingStrategy``: the loss, the alpha and T schedule, the
curriculum), so the assistant is the only thing that differs from ``offline``.
"""
from __future__ import annotations

from typing import Any

from torch import nn

from workbench.core.config.params import Param
from workbench.core.distill.method import StudentContext
from workbench.core.distill.offline import KD_PARAMS
from workbench.core.distill.registry import METHODS
from workbench.core.distill.strategy import TEACHING_PARAMS, TeachingStrategy, teach

MAX_ASSISTANTS = 8

ASSISTANTS = Param("assistants", "any", None, "model presets of the teaching assistants, "
                   "largest first (teacher -> assistant 1 -> ... -> student)", nullable=True)


def assistant_phase(index: int) -> str:
    """The phase and model name of assistant ``index`` (0-based): assistant-1, assistant-2..."""
    return f"assistant-{index + 1}"


@METHODS.register("assistant", params=KD_PARAMS + TEACHING_PARAMS + (ASSISTANTS,),
                  help="TAKD: teacher -> teaching assistant(s) -> student, each stage "
                  "distilled from the previous one's outputs")
class AssistantDistillation:
    """Hinton KD, stage by stage, from the previous stage's outputs."""

    uses_teacher_cache = True

    def __init__(self, alpha: float, temperature: float, assistants: Any = None,
                 **teaching: Any) -> None:
        self.assistants = len(assistants or ())
        self.strategy = TeachingStrategy.from_params(alpha, temperature, **teaching)

    def phases(self) -> list[str]:
        return [assistant_phase(index) for index in range(self.assistants)] + ["student"]

    def train(self, context: StudentContext) -> dict[str, nn.Module]:
        """Fit the assistants in order, then the student; each learns from the one before."""
        targets = context.cached_teacher_logits()
        models: dict[str, nn.Module] = {}
        for index, phase in enumerate(self.phases()):
            model = (context.new_student() if phase == "student"
                     else context.new_assistant(index))
            teach(context, phase, model, targets, self.strategy)  # same loss, alpha, T
            models[phase] = model
            if phase != "student":
                targets = context.logits(model)  # the next stage's teacher
        return models
