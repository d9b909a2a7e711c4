"""The phases of a run around the distillation method: teacher, cache, baseline, benchmark."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from workbench.core.measure.figures import model_figures
from workbench.core.models.weights import weights_digest
from workbench.core.data.batches import TrainSet
from workbench.core.engine.context import RunContext
from workbench.core.presets.model import ModelPreset
from workbench.core.stream.events import PhaseStarted
from workbench.core.distill.step_loss import cross_entropy_objective
from workbench.core.engine.loop import PREDICT_BATCH, end_phase, predict
from workbench.core.engine.teacher_cache import cache_key, teacher_logits
from workbench.core.engine.shared_work import teacher_figures_key
from workbench.core.engine.teacher_pass import PassPlan, ShardMeter, pass_plan, plan_path
from workbench.core.measure.size import flops_per_sample
from workbench.core.measure.quantize import INT8_SUFFIX, int8_figures


def train_teacher(ctx: RunContext, teacher: nn.Module, name: str = "teacher",
                  preset: ModelPreset | None = None) -> None:
    """Fit a teacher that came without weights, on the labeled rows only (never on the
    student's views: the teacher's own recipe says how it is augmented)."""
    rows = TrainSet(ctx.data.inputs, ctx.data.labels, ctx.data.labeled_rows)
    ctx.fit([name], [teacher], cross_entropy_objective, rows,
            recipe=ctx.preset.teacher_train, augment=ctx.preset.teacher_train.augment)
    ctx.save(name, teacher, preset or ctx.preset.teacher)


def cache_steps(ctx: RunContext, teachers: int = 1) -> int:
    """Batches of teacher inference: training images (once per view), then test images."""
    views = 1 if ctx.views is None else ctx.views.count
    return teachers * (views * -(-ctx.data.inputs.shape[0] // PREDICT_BATCH)
                       + -(-ctx.data.test_inputs.shape[0] // PREDICT_BATCH))


def cache_teacher(ctx: RunContext, teacher: nn.Module, cache_dir: Any = None) -> str:
    """Compute (or load) the teacher's logits for every training and test image once."""
    started = time.perf_counter()
    ctx.hooks.emit(PhaseStarted("cache", 1, cache_steps(ctx)))
    notes: list[str] = []
    train, test, origin, key = member_logits(ctx, teacher, cache_dir, cache_progress(ctx),
                                             notes)
    ctx.teacher_logits, ctx.teacher_test_logits = train, test
    end_phase(ctx.hooks, "cache", time.perf_counter() - started, origin=origin, key=key,
              **({"note": notes[0]} if notes else {}))
    return origin


def cache_progress(ctx: RunContext, teachers: int = 1) -> Callable[..., None]:
    """Counts the cache phase's shards (one count across several teachers), with the
    images per second and the time left; a stop or pause is honoured between shards."""
    views = 1 if ctx.views is None else ctx.views.count
    images = teachers * (views * int(ctx.data.inputs.shape[0])
                         + int(ctx.data.test_inputs.shape[0]))
    meter = ShardMeter(ctx.hooks.emit, cache_steps(ctx, teachers), images)

    def advance(rows: int = PREDICT_BATCH) -> None:
        meter(rows)
        ctx.hooks.checkpoint()

    return advance


def teacher_pass_plan(ctx: RunContext, teacher: nn.Module) -> PassPlan:
    """How this run's teacher pass runs (``data.teacher_pass``; core.engine.teacher_pass):
    ``auto`` weighs the pass's FLOPs (training images, once per view, and test images)."""
    mode = str(ctx.preset.data.get("teacher_pass", "auto"))
    pass_flop = 0.0
    if mode == "auto":
        views = 1 if ctx.views is None else ctx.views.count
        rows = views * int(ctx.data.inputs.shape[0]) + int(ctx.data.test_inputs.shape[0])
        pass_flop = rows * _flops_or_zero(teacher, ctx.input_shape)
    return pass_plan(ctx.device, ctx.hooks.ranks, mode, teacher, pass_flop)


def _flops_or_zero(model: nn.Module, input_shape: tuple[int, ...]) -> float:
    training = model.training
    try:
        return float(flops_per_sample(model, input_shape))
    except Exception:  # noqa: BLE001 - a teacher the counter cannot run: no onnxruntime
        return 0.0
    finally:
        model.train(training)


def member_logits(ctx: RunContext, teacher: nn.Module, cache_dir: Any,
                  advance: Callable[..., None], notes: list[str]
                  ) -> tuple[torch.Tensor, torch.Tensor, str, str]:
    """(train, test, origin, key) of one teacher, cached by its weights (and the views)."""
    fingerprint = ctx.data.dataset.fingerprint
    if ctx.views is not None:
        fingerprint = f"{fingerprint}|{ctx.views.tag()}"
    plan = teacher_pass_plan(ctx, teacher)
    key = cache_key(weights_digest(teacher), fingerprint, int(ctx.data.inputs.shape[0]),
                    plan_path(plan))
    train, test, origin = teacher_logits(teacher, ctx.data.inputs, ctx.data.test_inputs, key,
                                         cache_dir, on_batch=advance, on_note=notes.append,
                                         memory=ctx.logits_cache, views=ctx.views, plan=plan)
    return train, test, origin, key


def train_baseline(ctx: RunContext) -> nn.Module:
    """Same architecture, seed and optimizer steps as the student; labels only (alpha = 1)."""
    model = ctx.new_student()
    ctx.fit_labels_only("baseline", model)
    ctx.save("baseline", model, ctx.preset.student)
    return model


def logits_on_test(ctx: RunContext, role: str, model: nn.Module) -> torch.Tensor:
    if role == "teacher" and ctx.teacher_test_logits is not None:
        return ctx.teacher_test_logits
    if role in ctx.member_test_logits:  # teacher-k of several: cached in the cache phase
        return ctx.member_test_logits[role]
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
        shared = shared_teacher_figures(ctx, model, accuracy) if role == "teacher" else None
        entry = shared or model_figures(model, accuracy, ctx.input_shape, ctx.preset.compare)
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


def _teacher_figures_key(ctx: RunContext, teacher: nn.Module) -> str | None:
    """The teacher's key in the sweep's shared work; None when nothing is shared."""
    if ctx.shared is None or len(ctx.preset.teachers) > 1:
        return None
    return teacher_figures_key(teacher, ctx.preset.teacher.to_dict(), ctx.input_shape,
                               ctx.preset.compare.to_dict(), str(ctx.device))


def shared_teacher_figures(ctx: RunContext, teacher: nn.Module,
                           accuracy: float) -> dict[str, Any] | None:
    """The teacher's figures as an earlier run of the sweep measured them (this run's
    accuracy; ``shared_from`` names that run), or None: measure them."""
    key = _teacher_figures_key(ctx, teacher)
    stored = None if key is None else ctx.shared.find_teacher_figures(key)
    if stored is None:
        return None
    return {"accuracy": accuracy, **{name: value for name, value in stored.items()
                                     if name != "run_id"}, "shared_from": stored["run_id"]}


def share_teacher_figures(ctx: RunContext, teacher: nn.Module | None,
                          figures: dict[str, Any] | None, run_id: str) -> None:
    """Keep the teacher's measured figures for the sweep's later runs."""
    key = None if teacher is None else _teacher_figures_key(ctx, teacher)
    if key is not None and figures and "shared_from" not in figures:
        ctx.shared.keep_teacher_figures(key, figures, run_id)
