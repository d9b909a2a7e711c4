"""The phases of a run around the distillation method: teacher, cache, baseline, benchmark."""
from __future__ import annotations

import time
from typing import Any

import torch
from torch import nn

from workbench.core.measure.figures import model_figures
from workbench.core.models.weights import weights_digest
from workbench.core.engine.context import RunContext
from workbench.core.stream.events import PhaseProgress, PhaseStarted
from workbench.core.distill.step_loss import cross_entropy_objective
from workbench.core.engine.loop import PREDICT_BATCH, end_phase, predict
from workbench.core.engine.teacher_cache import cache_key, teacher_logits
from workbench.core.measure.quantize import INT8_SUFFIX, int8_figures


def train_teacher(ctx: RunContext, teacher: nn.Module) -> None:
    """Fit a teacher that came without weights, on the labeled rows only."""
    ctx.fit(["teacher"], [teacher], cross_entropy_objective, ctx.labeled_train_set(),
            recipe=ctx.preset.teacher_train, augment=ctx.preset.teacher_train.augment)
    ctx.save("teacher", teacher, ctx.preset.teacher)


def cache_steps(ctx: RunContext) -> int:
    """Batches of teacher inference: training images, then test images."""
    return (-(-ctx.data.inputs.shape[0] // PREDICT_BATCH)
            + -(-ctx.data.test_inputs.shape[0] // PREDICT_BATCH))


def cache_teacher(ctx: RunContext, teacher: nn.Module, cache_dir: Any = None) -> str:
    """Compute (or load) the teacher's logits for every training and test image once."""
    started = time.perf_counter()
    ctx.hooks.emit(PhaseStarted("cache", 1, cache_steps(ctx)))
    key = cache_key(weights_digest(teacher), ctx.data.dataset.fingerprint,
                    int(ctx.data.inputs.shape[0]))
    done = [0]

    def advance() -> None:
        done[0] += 1
        ctx.hooks.emit(PhaseProgress("cache", done[0]))
        ctx.hooks.checkpoint()

    notes: list[str] = []
    train, test, origin = teacher_logits(teacher, ctx.data.inputs, ctx.data.test_inputs, key,
                                         cache_dir, on_batch=advance, on_note=notes.append,
                                         memory=ctx.logits_cache)
    ctx.teacher_logits, ctx.teacher_test_logits = train, test
    end_phase(ctx.hooks, "cache", time.perf_counter() - started, origin=origin, key=key,
              **({"note": notes[0]} if notes else {}))
    return origin


def train_baseline(ctx: RunContext) -> nn.Module:
    """Same architecture, seed and optimizer steps as the student; labels only (alpha = 1)."""
    model = ctx.new_student()
    ctx.fit_labels_only("baseline", model)
    ctx.save("baseline", model, ctx.preset.student)
    return model


def logits_on_test(ctx: RunContext, role: str, model: nn.Module) -> torch.Tensor:
    if role == "teacher" and ctx.teacher_test_logits is not None:
        return ctx.teacher_test_logits
    return predict(model, ctx.data.test_inputs)


def benchmark(ctx: RunContext, models: dict[str, nn.Module]) -> dict[str, dict[str, Any]]:
    """Test accuracy, agreement with the teacher, size, FLOPs, memory and CPU speed of each
    model, plus a "student-int8" row: the student in dynamic int8, tested on the CPU."""
    started = time.perf_counter()
    ctx.hooks.emit(PhaseStarted("benchmark", 1, len(models)))
    labels = ctx.data.test_labels
    predictions = {role: logits_on_test(ctx, role, model).argmax(1) for role, model in models.items()}
    figures: dict[str, dict[str, Any]] = {}
    for role, model in models.items():
        ctx.hooks.checkpoint()
        accuracy = (predictions[role] == labels).float().mean().item()
        entry = model_figures(model, accuracy, ctx.input_shape, ctx.preset.compare)
        if role != "teacher" and "teacher" in predictions:
            entry["agreement"] = (predictions[role] == predictions["teacher"]).float().mean().item()
        fitted = ctx.fits.get(role)
        if fitted is not None:
            entry["best_val_acc"], entry["best_epoch"] = fitted.best_val_acc, fitted.best_epoch
            entry["last_val_acc"] = fitted.history[-1].get("val_acc") if fitted.history else None
        figures[role] = entry
        if role == "student":
            ctx.hooks.checkpoint()
            figures["student" + INT8_SUFFIX] = int8_figures(
                model, entry, ctx.data.test_inputs, labels, ctx.input_shape, ctx.preset.compare,
                predictions.get("teacher"))
        model.to(ctx.device)
    end_phase(ctx.hooks, "benchmark", time.perf_counter() - started)
    return figures
