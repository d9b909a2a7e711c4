"""A whole run: teacher -> cached outputs -> distilled student -> baseline -> comparison.

Front-ends call ``run_experiment`` with their consumers (console reporter, run
store, Qt bridge); bad input is raised before anything starts, so no run
folder is created for it.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from workbench.core.measure.machine import machine_info, torch_threads
from workbench.core.measure.figures import ratios
from workbench.core.data.prepare import load_dataset, prepare
from workbench.core.distill import METHODS
from workbench.core.distill.method import Method
from workbench.core.models.build import check_models_fit
from workbench.core.data.batches import natural_steps
from workbench.core.engine.context import Recorder, RunContext
from workbench.core.stream.control import RunControl
from workbench.core.engine.device import resolve_device
from workbench.core.stream.events import Event, PhasePlan, RunEnded, RunStarted
from workbench.core.stream.status import RunStatus
from workbench.core.engine.loop import Hooks
from workbench.core.engine.phases import (benchmark, cache_steps, cache_teacher, train_baseline,
                                          train_teacher)
from workbench.core.engine.teacher_cache import TeacherLogitsCache
from workbench.core.engine.threads import default_threads
from workbench.core.engine.teacher_source import (RecordedOutputs, load_recorded, load_teacher,
                                                  recorded_figures, use_recorded)
from workbench.core.errors import RunFailed, RunStopped
from workbench.core.presets.experiment import ExperimentPreset
from workbench.core.runs.ids import new_run_id


@dataclass(frozen=True)
class RunResult:
    status: RunStatus  # completed | stopped (failed runs raise RunFailed)
    run_id: str
    summary: dict[str, Any]
    error: str | None = None


def run_experiment(preset: ExperimentPreset, *, callbacks: Sequence[Callable[[Event], None]] = (),
                   control: RunControl | None = None, recorder: Recorder | None = None,
                   cache_dir: Path | None = None, cache: TeacherLogitsCache | None = None,
                   resume_state: dict[str, Any] | None = None) -> RunResult:
    """Run every phase of ``preset``; returns a RunResult (stopped runs included).

    ``cache`` keeps teacher outputs in memory between the caller's runs.
    ``resume_state`` (core.runs.resume) continues a stopped or crashed run; the
    recorder then writes into that run's folder (a ``ResumedRunStore``).

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
    check_models_fit({role: (model.architecture, model.args)  # too big: refused before the run
                      for role, model in (("teacher", preset.teacher), ("student", preset.student))
                      if not model.black_box},
                     data.dataset.input_shape, data.dataset.num_classes, preset.source)
    ctx = RunContext(preset, data, device, Hooks(emit, control), recorder,
                     logits_cache=cache, resume_state=resume_state)
    teacher = load_teacher(ctx)
    recorded = None
    if teacher is None:
        assert preset.teacher.weights is not None
        recorded = load_recorded(preset.teacher.weights, int(data.inputs.shape[0]),
                                 data.dataset.num_classes)
    method = METHODS.get(preset.distill.method).factory(**preset.distill)
    run_id = recorder.run_id if recorder is not None else new_run_id(preset.name)
    # A resumed run keeps the thread count it started with: another count sums in
    # another order, and the weights would no longer be those of an uninterrupted run.
    threads = (preset.train.threads or ctx.journal.threads
               or default_threads(preset, data.dataset))
    ctx.journal.threads = threads
    emit(RunStarted(run_id, preset.name, _plan(ctx, method), str(device), preset.train.seed, time.time()))
    timings: dict[str, float] = {}
    try:
        with torch_threads(threads):
            figures = _run_phases(ctx, method, teacher, recorded, timings, cache_dir)
    except RunStopped:
        summary = _summary(ctx, run_id, "stopped", {}, timings)
        emit(RunEnded("stopped", summary))
        return RunResult(RunStatus.STOPPED, run_id, summary)
    except Exception as error:  # noqa: BLE001 - recorded, then re-raised for the caller
        message = str(error) if isinstance(error, RunFailed) else f"{type(error).__name__}: {error}"
        summary = _summary(ctx, run_id, "failed", {}, timings)
        emit(RunEnded("failed", summary, message))
        if isinstance(error, RunFailed):
            raise
        raise RunFailed(message) from error
    summary = _summary(ctx, run_id, "completed", figures, timings)
    emit(RunEnded("completed", summary))
    if recorder is not None:
        recorder.discard_resume_state()  # only once the summary says "completed"
    return RunResult(RunStatus.COMPLETED, run_id, summary)


def _run_phases(ctx: RunContext, method: Method, teacher: nn.Module | None,
                recorded: RecordedOutputs | None, timings: dict[str, float],
                cache_dir: Path | None) -> dict[str, dict[str, Any]]:
    """Run the phases in order; returns the comparison figures per model."""
    def timed(name: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = work()
        timings[f"{name}_s"] = time.perf_counter() - started
        return result

    models: dict[str, nn.Module] = {} if teacher is None else {"teacher": teacher}
    timings["teacher_s"] = 0.0
    if teacher is not None and ctx.preset.teacher.weights is None:
        timed("teacher", lambda: train_teacher(ctx, teacher))
    if recorded is not None:
        timed("cache", lambda: use_recorded(ctx, recorded))
    elif method.uses_teacher_cache:
        timed("cache", lambda: cache_teacher(ctx, teacher, cache_dir))
    models.update(timed("student", lambda: method.train(ctx)))
    for name, model in models.items():
        if name != "teacher":
            ctx.save(name, model, ctx.preset.student)
    if ctx.preset.train.baseline:
        models["baseline"] = timed("baseline", lambda: train_baseline(ctx))
    figures = timed("benchmark", lambda: benchmark(ctx, models))
    if teacher is None:
        figures = {"teacher": recorded_figures(ctx), **figures}
    return figures


def _plan(ctx: RunContext, method: Method) -> tuple[PhasePlan, ...]:
    preset, data = ctx.preset, ctx.data
    plan = []
    if preset.teacher.weights is None and not preset.teacher.black_box:
        steps = natural_steps(int(data.labeled_rows.shape[0]), preset.teacher_train.batch_size)
        plan.append(PhasePlan("teacher", preset.teacher_train.epochs, steps))
    if preset.teacher.architecture == "outputs":
        plan.append(PhasePlan("cache", 1, 1))  # the outputs are already recorded
    elif method.uses_teacher_cache:
        plan.append(PhasePlan("cache", 1, cache_steps(ctx)))
    students = method.phases() + (["baseline"] if preset.train.baseline else [])
    plan += [PhasePlan(name, preset.train.epochs, ctx.student_steps()) for name in students]
    plan.append(PhasePlan("benchmark", 1, 1 + len(students)))
    return tuple(plan)


def _summary(ctx: RunContext, run_id: str, status: str, figures: dict[str, dict[str, Any]],
             timings: dict[str, float]) -> dict[str, Any]:
    from workbench._version import __version__

    data = ctx.data
    return {
        "status": status, "run_id": run_id, "name": ctx.preset.name,
        "models": figures, **ratios(figures),
        "timings": {key: timings.get(key, 0.0) for key in
                    ("teacher_s", "cache_s", "student_s", "baseline_s", "benchmark_s")},
        "seed": ctx.preset.train.seed, "device": str(ctx.device),
        # results depend on it (reduction order): record it so a run can be repeated exactly
        "train_threads": ctx.journal.threads,
        "distill": ctx.preset.distill.to_dict(),
        "dataset": {"name": data.dataset.name, "source": data.dataset.source,
                    "train": int(data.train_rows.shape[0]), "val": int(data.val_rows.shape[0]),
                    "labeled": int(data.labeled_rows.shape[0]),
                    "test": int(data.test_inputs.shape[0])},
        "machine": machine_info(ctx.preset.compare.threads), "version": __version__,
    }
