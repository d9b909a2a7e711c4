"""A whole run: teacher -> cached outputs -> distilled student -> baseline -> comparison.

Front-ends call ``run_experiment`` with their consumers (console reporter, run
store, Qt bridge); bad input is raised before anything starts, so no run
folder is created for it.
"""
from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from torch import nn

from workbench.core.benchmark import machine_info, torch_threads
from workbench.core.compare import ratios
from workbench.core.data.prepare import load_dataset, prepare
from workbench.core.distill import METHODS
from workbench.core.engine.batches import natural_steps
from workbench.core.engine.checkpoints import load_weights
from workbench.core.engine.context import Recorder, RunContext
from workbench.core.engine.control import RunControl
from workbench.core.engine.device import resolve_device
from workbench.core.engine.events import Event, PhasePlan, RunEnded, RunStarted
from workbench.core.engine.loop import Hooks, end_phase
from workbench.core.engine.phases import benchmark, cache_teacher, train_baseline, train_teacher
from workbench.core.errors import RunFailed, RunStopped
from workbench.core.presets.experiment import ExperimentPreset


@dataclass(frozen=True)
class RunResult:
    status: str  # "completed" | "stopped" | "failed"
    run_id: str
    summary: dict[str, Any]
    error: str | None = None


def new_run_id(name: str) -> str:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{name}-{secrets.token_hex(2)}"


def run_experiment(preset: ExperimentPreset, *, callbacks: Sequence[Callable[[Event], None]] = (),
                   control: RunControl | None = None, recorder: Recorder | None = None,
                   cache_dir: Path | None = None) -> RunResult:
    """Run every phase of ``preset``; returns a RunResult (stopped runs included).

    Raises:
        PresetError / DataError: before the run starts (nothing is written).
        RunFailed: the run started and failed (the run store records it first).
    """
    control = control or RunControl()
    consumers = ([recorder] if recorder is not None else []) + list(callbacks)

    def emit(event: Event) -> None:
        for consumer in consumers:
            consumer(event)

    device = resolve_device(preset.train.device)
    data = prepare(load_dataset(preset.data), preset.data, preset.train.seed, device)
    ctx = RunContext(preset, data, device, Hooks(emit, control), recorder)
    teacher = ctx.new_model(preset.teacher)
    if preset.teacher.weights is not None:
        load_weights(teacher, preset.teacher.weights, field="teacher.weights")
    method = METHODS.get(preset.distill.method).factory(**preset.distill)
    run_id = recorder.run_id if recorder is not None else new_run_id(preset.name)
    threads = preset.train.threads or os.cpu_count() or 1
    emit(RunStarted(run_id, preset.name, _plan(ctx), str(device), preset.train.seed, time.time()))
    timings: dict[str, float] = {}
    try:
        with torch_threads(threads):
            figures = _run_phases(ctx, method, teacher, timings, cache_dir)
    except RunStopped:
        summary = _summary(ctx, run_id, "stopped", {}, timings)
        emit(RunEnded("stopped", summary))
        return RunResult("stopped", run_id, summary)
    except Exception as error:  # noqa: BLE001 - recorded, then re-raised for the caller
        message = str(error) if isinstance(error, RunFailed) else f"{type(error).__name__}: {error}"
        summary = _summary(ctx, run_id, "failed", {}, timings)
        emit(RunEnded("failed", summary, message))
        if isinstance(error, RunFailed):
            raise
        raise RunFailed(message) from error
    summary = _summary(ctx, run_id, "completed", figures, timings)
    emit(RunEnded("completed", summary))
    return RunResult("completed", run_id, summary)


def _run_phases(ctx: RunContext, method: Any, teacher: nn.Module, timings: dict[str, float],
                cache_dir: Path | None) -> dict[str, dict[str, Any]]:
    """Run the phases in order; returns the comparison figures per model."""
    def timed(name: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = work()
        timings[f"{name}_s"] = time.perf_counter() - started
        return result

    models: dict[str, nn.Module] = {"teacher": teacher}
    timings["teacher_s"] = 0.0
    if ctx.preset.teacher.weights is None:
        timed("teacher", lambda: train_teacher(ctx, teacher))
    timed("cache", lambda: cache_teacher(ctx, teacher, cache_dir))
    models.update(timed("student", lambda: method.train(ctx)))
    student_fit = ctx.fits.get("student")
    end_phase(ctx.hooks, "student", timings["student_s"],
              best_val_acc=None if student_fit is None else student_fit.best_val_acc)
    for name, model in models.items():
        if name != "teacher":
            ctx.save(name, model, ctx.preset.student)
    if ctx.preset.train.baseline:
        models["baseline"] = timed("baseline", lambda: train_baseline(ctx))
    return timed("benchmark", lambda: benchmark(ctx, models))


def _plan(ctx: RunContext) -> tuple[PhasePlan, ...]:
    preset, data = ctx.preset, ctx.data
    plan = []
    if preset.teacher.weights is None:
        steps = natural_steps(int(data.labeled_rows.shape[0]), preset.teacher_train.batch_size)
        plan.append(PhasePlan("teacher", preset.teacher_train.epochs, steps))
    cache_steps = -(-(data.inputs.shape[0] + data.test_inputs.shape[0]) // 1024)
    plan.append(PhasePlan("cache", 1, cache_steps))
    plan.append(PhasePlan("student", preset.train.epochs, ctx.student_steps()))
    if preset.train.baseline:
        plan.append(PhasePlan("baseline", preset.train.epochs, ctx.student_steps()))
    plan.append(PhasePlan("benchmark", 1, 3 if preset.train.baseline else 2))
    return tuple(plan)


def _summary(ctx: RunContext, run_id: str, status: str, figures: dict[str, dict[str, Any]],
             timings: dict[str, float]) -> dict[str, Any]:
    from workbench import __version__

    data = ctx.data
    return {
        "status": status, "run_id": run_id, "name": ctx.preset.name,
        "models": figures, **ratios(figures),
        "timings": {key: timings.get(key, 0.0) for key in
                    ("teacher_s", "cache_s", "student_s", "baseline_s", "benchmark_s")},
        "seed": ctx.preset.train.seed, "device": str(ctx.device),
        "distill": ctx.preset.distill.to_dict(),
        "dataset": {"name": data.dataset.name, "source": data.dataset.source,
                    "train": int(data.train_rows.shape[0]), "val": int(data.val_rows.shape[0]),
                    "labeled": int(data.labeled_rows.shape[0]),
                    "test": int(data.test_inputs.shape[0])},
        "machine": machine_info(), "version": __version__,
    }
