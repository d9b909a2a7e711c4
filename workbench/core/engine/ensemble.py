"""Several teachers in one run: train the untrained ones, cache each once, fuse.

The fused outputs become the run's teacher outputs (``ctx.teacher_logits``), so
every method learns from the ensemble unchanged. In the comparison, ``teacher`` is
the ensemble: accuracy of the fused test outputs (the mean: a test image's label is
not there to weigh the teachers by), params, size and FLOPs summed, and latency and
throughput of running every member one after the other (``TeacherEnsemble``, what
serving the ensemble costs). ``teacher-1``, ``teacher-2``, ... are the members.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from workbench.core.data.batches import natural_steps
from workbench.core.distill.fusion import fuse
from workbench.core.engine.context import RunContext
from workbench.core.engine.loop import end_phase
from workbench.core.engine.phases import cache_progress, cache_steps, member_logits, train_teacher
from workbench.core.engine.teacher_source import TeacherMember
from workbench.core.stream.events import PhasePlan, PhaseStarted


class TeacherEnsemble(nn.Module):
    """Every member on the same images, their logits fused by the mean (no label needed)."""

    def __init__(self, members: Sequence[nn.Module]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return fuse([member(inputs) for member in self.members])


def is_teacher(name: str) -> bool:
    """``teacher`` and ``teacher-k``: models a run does not train as students."""
    return name == "teacher" or name.startswith("teacher-")


def team_plan(ctx: RunContext, members: Sequence[TeacherMember]) -> list[PhasePlan]:
    """The teacher phases (members without weights) and one cache phase for all."""
    plan = [PhasePlan(member.name, ctx.preset.teacher_train.epochs,
                      natural_steps(int(ctx.data.labeled_rows.shape[0]),
                                    ctx.preset.teacher_train.batch_size))
            for member in members if member.module is not None and member.preset.weights is None]
    modules = sum(member.module is not None for member in members)
    plan.append(PhasePlan("cache", 1, max(1, cache_steps(ctx, modules))))
    return plan


def train_team(ctx: RunContext, members: Sequence[TeacherMember]) -> None:
    """Fit every member that came without weights, each as its own phase (teacher-k)."""
    for member in members:
        if member.module is not None and member.preset.weights is None:
            train_teacher(ctx, member.module, member.name, member.preset)


def cache_team(ctx: RunContext, members: Sequence[TeacherMember],
               cache_dir: Path | None) -> dict[str, nn.Module]:
    """Each teacher's outputs once (cached by its own weights), then fused into the run's.

    Returns the models to benchmark: the ensemble as ``teacher`` (when every member is
    a module) and each member module as ``teacher-k``.
    """
    started = time.perf_counter()
    modules = [member for member in members if member.module is not None]
    ctx.hooks.emit(PhaseStarted("cache", 1, max(1, cache_steps(ctx, len(modules)))))
    advance, notes = cache_progress(ctx, len(modules)), []
    trains, tests, origins = [], [], []
    for member in members:
        if member.module is not None:
            train, test, origin, _key = member_logits(ctx, member.module, cache_dir, advance,
                                                      notes)
        else:
            assert member.recorded is not None
            train, test, origin = member.recorded.train, member.recorded.test, "recorded"
        trains.append(train.to(ctx.device))
        tests.append(None if test is None else test.to(ctx.device))
        origins.append(origin)
        if test is not None:
            ctx.member_test_logits[member.name] = test.to(ctx.device)
    ctx.teacher_logits = fuse(trains, _labels_per_row(ctx), str(ctx.preset.distill["fusion"]))
    ctx.teacher_test_logits = (None if any(test is None for test in tests)
                               else fuse([test for test in tests if test is not None]))
    end_phase(ctx.hooks, "cache", time.perf_counter() - started, origin=",".join(origins),
              teachers=len(members), **({"note": notes[0]} if notes else {}))
    models: dict[str, nn.Module] = {}
    if len(modules) == len(members):
        models["teacher"] = TeacherEnsemble([member.module for member in modules])
    models.update({member.name: member.module for member in modules})
    return models


def _labels_per_row(ctx: RunContext) -> torch.Tensor:
    """The label of every cached row (-1: none), repeated per view like the outputs."""
    labels = ctx.data.labels
    return labels if ctx.views is None else labels.repeat(ctx.views.count)


def team_figures(ctx: RunContext, members: Sequence[TeacherMember],
                 figures: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Add what benchmarking could not measure: recorded members and their ensemble."""
    extra: dict[str, dict[str, Any]] = {}
    if "teacher" not in figures:
        extra["teacher"] = _recorded_entry(ctx.teacher_test_logits, ctx,
                                           f"ensemble of {len(members)} teachers")
    for member in members:
        if member.name not in figures:
            extra[member.name] = _recorded_entry(ctx.member_test_logits.get(member.name), ctx,
                                                 "recorded outputs")
    merged = {**figures, **extra}
    first = ["teacher", *(member.name for member in members)]
    return {**{name: merged[name] for name in first},
            **{name: entry for name, entry in merged.items() if name not in first}}


def _recorded_entry(test_logits: torch.Tensor | None, ctx: RunContext,
                    source: str) -> dict[str, Any]:
    accuracy = None
    if test_logits is not None:
        accuracy = (test_logits.argmax(1) == ctx.data.test_labels).float().mean().item()
    return {"accuracy": accuracy, "params": None, "size_bytes": None, "latency_ms": None,
            "throughput": None, "source": source}
