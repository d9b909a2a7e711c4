"""What a distillation method is, and the only things of a run it may use.

A method decides which models to build and which objective each fit uses; the
engine owns the loop, the data, the teacher's cached outputs and the run's random
stream. They meet only through these two protocols, so a new method is one new
file and its registration, with no change to the engine.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import torch
from torch import nn

from workbench.core.data.batches import TrainSet
from workbench.core.distill.step_loss import Objective


class StudentContext(Protocol):
    """The run as a method sees it (the engine's ``RunContext`` implements it)."""

    def new_student(self, seed_offset: int = 0) -> nn.Module:
        """A fresh student seeded by ``train.seed + seed_offset`` (same seed, same weights)."""

    def new_assistant(self, index: int) -> nn.Module:
        """A fresh model of ``distill.assistants[index]`` (a preset other than the student's)."""

    def fit(self, phases: Sequence[str], models: Sequence[nn.Module], objective: Objective,
            train_set: TrainSet) -> None:
        """Train ``models`` together on the same batches; model i reports as ``phases[i]``.

        ``objective(logits, batch)`` gets every model's logits and the batch (with its
        extras) and returns one step loss per model.
        """

    def fit_labels_only(self, phase: str, model: nn.Module) -> None:
        """Plain training (alpha = 1) on the labeled rows, with the student's step budget."""

    def logits(self, model: nn.Module) -> torch.Tensor:
        """``model``'s logits for every training row, in eval mode."""

    def cached_teacher_logits(self) -> torch.Tensor:
        """The teacher's logits for every training row (needs ``uses_teacher_cache``)."""

    def labeled_train_set(self) -> TrainSet:
        """Only the rows that keep their labels."""

    def student_train_set(self, extras: Mapping[str, torch.Tensor] | None = None) -> TrainSet:
        """All training rows (transfer-set rows carry label -1), with per-row ``extras``."""

    def distill_train_set(self, teacher_logits: torch.Tensor, temperature: float) -> TrainSet:
        """All training rows carrying ``teacher_logits`` softened at ``temperature``."""

    def student_steps(self) -> int:
        """Optimizer steps per epoch of a student fit on ``student_train_set``."""


class Method(Protocol):
    """A registered distillation method, built from its validated ``distill`` params."""

    uses_teacher_cache: bool  # the engine computes the teacher's logits before ``train``

    def phases(self) -> list[str]:
        """The training phases ``train`` will report, in order (for the run's plan)."""

    def train(self, context: StudentContext) -> dict[str, nn.Module]:
        """Fit the method's models; the returned names are benchmarked and saved."""


# factory(**validated distill params) -> the method (unknown params are ignored)
MethodFactory = Callable[..., Method]
