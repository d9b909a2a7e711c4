"""The green stage of a run: after the float student is trained and saved, an int8
student (``green.qat``) and a pruned student (``green.prune``), both distilled from the
run's teacher, saved beside it and benchmarked like every other model.

The pipeline calls ``green_problems`` before a run, ``green_plan`` for its plan,
``train_green`` after the method, and ``add_green_figures`` after the benchmark.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from workbench.core.errors import Problem
from workbench.core.green.prune import PRUNED_PHASE, round_phases, train_pruned
from workbench.core.green.qat import QAT_LR_SCALE, QAT_PHASE, train_qat
from workbench.core.green.recipe import GreenContext, qat_epochs, recovery_epochs
from workbench.core.green.surgery import PRUNABLE
from workbench.core.measure.size import flops_per_sample, parameter_count
from workbench.core.models.int8 import QUANTIZABLE, QUANTIZATION, engine

QAT_METHOD = "quantization-aware distillation, int8 (torch.ao eager-mode QAT)"


@dataclass
class GreenModels:
    """The green students of a run and what their comparison rows add."""

    models: dict[str, nn.Module] = field(default_factory=dict)
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)


def wanted(green: Mapping[str, Any]) -> bool:
    """Whether the run has a green stage at all."""
    return bool(green.get("qat")) or float(green.get("prune", 0.0)) > 0.0


def green_problems(preset: Any) -> list[Problem]:
    """Why the green settings cannot run with this preset's student (checked before a run)."""
    green, architecture = preset.green, preset.student.architecture
    problems = []
    if green.get("qat") and architecture not in QUANTIZABLE:
        problems.append(Problem("green.qat", f"quantization-aware training supports "
                                f"{' and '.join(QUANTIZABLE)} students, not '{architecture}'"))
    if float(green.get("prune", 0.0)) > 0.0 and architecture not in PRUNABLE:
        problems.append(Problem("green.prune", f"structured pruning supports "
                                f"{' and '.join(PRUNABLE)} students, not '{architecture}'"))
    return problems


def green_plan(preset: Any) -> list[tuple[str, int]]:
    """(phase, epochs) of every green fit, in the order they run."""
    green, epochs = preset.green, preset.train.epochs
    plan = [(QAT_PHASE, qat_epochs(epochs))] if green.get("qat") else []
    if float(green.get("prune", 0.0)) > 0.0:
        rounds = int(green.get("prune_steps", 1))
        plan += [(phase, recovery_epochs(epochs, rounds)) for phase in round_phases(rounds)]
    return plan


def green_models(preset: Any) -> list[str]:
    """Names of the green students this preset asks for."""
    return ([QAT_PHASE] if preset.green.get("qat") else []) + (
        [PRUNED_PHASE] if float(preset.green.get("prune", 0.0)) > 0.0 else [])


def run_green(ctx: Any, models: Mapping[str, nn.Module]) -> GreenModels:
    """The pipeline's green stage: nothing unless ``green`` asks for a student."""
    if not wanted(ctx.preset.green) or "student" not in models:
        return GreenModels()
    return train_green(ctx, models["student"], ctx.data.dataset.num_classes)


def train_green(ctx: GreenContext, student: nn.Module, classes: int) -> GreenModels:
    """Train, save and describe the green students of ``student`` (left untouched)."""
    green, found = ctx.preset.green, GreenModels()
    float_figures = {"params": parameter_count(student),
                     "flops": flops_per_sample(copy.deepcopy(student).cpu(), ctx.input_shape)}
    if green.get("qat"):
        model = train_qat(ctx, student)
        found.models[QAT_PHASE] = model
        found.figures[QAT_PHASE] = {**float_figures, "quantized": True,
                                    "quantization": f"{QAT_METHOD}, {engine()} kernels",
                                    "qat_epochs": qat_epochs(ctx.preset.train.epochs),
                                    "qat_lr": ctx.preset.train.lr * QAT_LR_SCALE}
        save_green(ctx, QAT_PHASE, model, ctx.preset.student.args.to_dict(),
                   {"quantization": QUANTIZATION})
    fraction = float(green.get("prune", 0.0))
    if fraction > 0.0:
        rounds = int(green.get("prune_steps", 1))
        pruned = train_pruned(ctx, copy.deepcopy(student), fraction, rounds, classes)
        found.models[PRUNED_PHASE] = pruned.model
        found.figures[PRUNED_PHASE] = {
            "pruned": fraction, "prune_steps": rounds, "pruned_args": pruned.args,
            "recovery_epochs": recovery_epochs(ctx.preset.train.epochs, rounds),
            "params_before": float_figures["params"]}
        save_green(ctx, PRUNED_PHASE, pruned.model, pruned.args, {})
    return found


def save_green(ctx: Any, name: str, model: nn.Module, args: Mapping[str, Any],
               extra: Mapping[str, Any]) -> None:
    """A checkpoint the run store and ``bench`` load (its own args; int8 marked in meta)."""
    if ctx.recorder is None:
        return
    data = ctx.data.dataset
    meta = {"architecture": ctx.preset.student.architecture, "args": dict(args),
            "input_shape": list(ctx.input_shape), "classes": list(data.classes),
            "dataset": data.name, "run_id": ctx.recorder.run_id, **extra}
    ctx.recorder.save_checkpoint(name, model, meta)


def add_green_figures(figures: dict[str, dict[str, Any]], green: GreenModels) -> None:
    """Merge what the benchmark cannot know into the green rows (in place).

    An int8 model's weights are packed, not parameters, and torch's FLOP counter skips
    int8 kernels: its params and FLOPs are the float student's, as for ``student-int8``.
    """
    for name, extra in green.figures.items():
        if name in figures:
            figures[name].update(extra)
