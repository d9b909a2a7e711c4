"""Prune-then-distill: remove hidden units / channels in rounds, distilling after each.

Round r of K removes units until ``prune * r / K`` of every original width is gone
(least important first, see ``surgery.importance``), builds the smaller model of
the same architecture with the kept weights, and distills it from the teacher's
cached outputs for ``recovery_epochs`` epochs. The last round's phase is
``student-pruned``; earlier rounds report as ``student-pruned-1`` ... so every round
has its own curve and plan entry.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from torch import nn

from workbench.core.green.recipe import GreenContext, recipe, recovery_epochs, teacher_objective
from workbench.core.green.surgery import kept_units, prunable_widths, pruned_args, shrink
from workbench.core.models import build_model

PRUNED_PHASE = "student-pruned"


@dataclass(frozen=True)
class Pruned:
    """The final pruned student and the architecture args that rebuild it."""

    model: nn.Module
    args: dict[str, Any]


def round_phases(rounds: int) -> list[str]:
    """Phase names of the rounds, in order; the last is ``student-pruned``."""
    return [f"{PRUNED_PHASE}-{index}" for index in range(1, rounds)] + [PRUNED_PHASE]


def round_fractions(fraction: float, rounds: int) -> list[float]:
    """The share of the original widths removed after each round (ends at ``fraction``)."""
    return [fraction * index / rounds for index in range(1, rounds + 1)]


def prune_once(model: nn.Module, architecture: str, original: Mapping[str, Any],
               removed: float, input_shape: tuple[int, ...], classes: int) -> Pruned:
    """``model`` shrunk to ``original`` widths less ``removed``, its kept weights copied."""
    args = pruned_args(architecture, original, removed)
    smaller = build_model(architecture, args, input_shape, classes)
    shrink(model, smaller, kept_units(model, prunable_widths(architecture, args)))
    return Pruned(smaller.to(next(model.parameters()).device), args)


def train_pruned(ctx: GreenContext, student: nn.Module, fraction: float, rounds: int,
                 classes: int) -> Pruned:
    """Prune ``student`` by ``fraction`` in ``rounds`` rounds, distilling after each."""
    preset = ctx.preset.student
    objective, train_set = teacher_objective(ctx)
    settings = recipe(ctx.preset.train, recovery_epochs(ctx.preset.train.epochs, rounds))
    current = Pruned(student, dict(preset.args))
    for phase, removed in zip(round_phases(rounds), round_fractions(fraction, rounds)):
        current = prune_once(current.model, preset.architecture, preset.args, removed,
                             ctx.input_shape, classes)
        ctx.fit([phase], [current.model], objective, train_set, recipe=settings)
    return current
