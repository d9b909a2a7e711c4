"""What every green fit shares: the distillation objective and its training recipe.

Both green students learn from the teacher's cached outputs with the offline KD loss
(Hinton et al.): ``alpha * CE + (1 - alpha) * T^2 * KL``, with the run's ``distill.alpha``
and ``distill.temperature`` (and the offline method's output defenses). Methods
that declare no alpha / temperature (online, self-distillation, ...) get the offline
defaults (0.5, 4.0): the green students are always distilled from the run's teacher,
whose outputs the pipeline then caches for them.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import torch
from torch import nn

from workbench.core.config.section import Section
from workbench.core.data.batches import TrainSet
from workbench.core.distill.defenses import hide_outputs
from workbench.core.distill.offline import KD_PARAMS
from workbench.core.distill.step_loss import Objective, kd_objective

_DEFAULTS = {param.name: param.default for param in KD_PARAMS}


class GreenContext(Protocol):
    """The run as the green stage sees it (the engine's ``RunContext`` implements it)."""

    preset: Any
    device: torch.device

    @property
    def input_shape(self) -> tuple[int, ...]: ...

    def fit(self, phases: Sequence[str], models: Sequence[nn.Module], objective: Objective,
            train_set: TrainSet, recipe: Section | None = None) -> None: ...

    def cached_teacher_logits(self) -> torch.Tensor: ...

    def distill_train_set(self, teacher_logits: torch.Tensor, temperature: float) -> TrainSet: ...


def kd_settings(distill: Mapping[str, Any]) -> tuple[float, float]:
    """(alpha, temperature) of the run's method, or the offline defaults."""
    return (float(distill.get("alpha", _DEFAULTS["alpha"])),
            float(distill.get("temperature", _DEFAULTS["temperature"])))


def teacher_objective(ctx: GreenContext) -> tuple[Objective, TrainSet]:
    """The offline KD objective and its train set, from the cached teacher outputs."""
    distill = ctx.preset.distill
    alpha, temperature = kd_settings(distill)
    logits = hide_outputs(ctx.cached_teacher_logits(), float(distill.get("teacher_noise", 0.0)),
                          int(distill.get("top_k", 0)))
    return kd_objective(alpha, temperature), ctx.distill_train_set(logits, temperature)


def qat_epochs(epochs: int) -> int:
    """Fine-tuning epochs of the int8 student: a fifth of the student's, at least one.
    It starts from the distilled float weights, so it only adapts them to the int8 grid."""
    return max(1, math.ceil(epochs / 5))


def recovery_epochs(epochs: int, rounds: int) -> int:
    """Distillation epochs after each pruning round: half the student's epochs spread over
    the rounds, at least one per round."""
    return max(1, math.ceil(epochs / (2 * rounds)))


def recipe(train: Section, epochs: int, lr_scale: float = 1.0) -> Section:
    """The run's student recipe with ``epochs`` and its learning rate scaled."""
    return Section({**train.to_dict(), "epochs": epochs, "lr": train.lr * lr_scale})
