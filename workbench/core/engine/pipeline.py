"""A whole run: teacher -> cached outputs -> distilled student -> baseline -> comparison.

Front-ends call ``run_experiment`` with their consumers (console reporter, run
store, Qt bridge); bad input is raised before anything starts, so no run
folder is created for it.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from workbench.core.measure.machine import machine_info, torch_threads
from workbench.core.measure.energy import EnergyMeter, add_inference_energy
from workbench.core.measure.energy_readers import select_reader
from workbench.core.measure.figures import ratios
from workbench.core.measure.teacher_fit import check_teachers_fit
from workbench.core.data.prepare import dataset_summary, load_dataset, prepare
from workbench.core.distill import METHODS
from workbench.core.distill.method import Method
from workbench.core.models.build import check_models_fit
from workbench.core.engine.input_fit import check_inputs_fit
from workbench.core.data.batches import natural_steps
from workbench.core.engine.context import Recorder, RunContext
from workbench.core.stream.control import RunControl
from workbench.core.engine.device import resolve_device
from workbench.core.stream.events import Event, PhasePlan, RunEnded, RunStarted
from workbench.core.stream.status import RunStatus
from workbench.core.engine.distributed import current_ranks
from workbench.core.engine.distributed_run import check_data_fits_ranks
from workbench.core.engine.loop import Hooks
from workbench.core.engine.phases import (benchmark, cache_steps, train_baseline,
                                          share_teacher_figures,
                                          train_teacher)
from workbench.core.engine.teacher_cache import TeacherLogitsCache
from workbench.core.engine.teacher_memmap import cache_phase
from workbench.core.engine.shared_work import SharedWork
from workbench.core.engine.teacher_pass_ort import teacher_pass_problems
from workbench.core.engine.threads import default_threads
from workbench.core.engine.teacher_source import (RecordedOutputs, TeacherMember,
                                                  add_onnx_figures, load_recorded, load_team,
                                                  load_teacher, recorded_figures, use_recorded)
from workbench.core.engine.ensemble import (cache_team, is_teacher, team_figures, team_plan,
                                            train_team)
from workbench.core.engine.teaching import run_models
from workbench.core.errors import PresetError, RunFailed, RunStopped
from workbench.core.green.stage import (add_green_figures, green_models, green_plan,
                                        green_problems, run_green, wanted as green_wanted)
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
                   resume_state: dict[str, Any] | None = None,
                   shared: SharedWork | None = None) -> RunResult:
    """Run every phase of ``preset``; returns a RunResult (stopped runs included).

    ``cache`` keeps teacher outputs in memory between the caller's runs.
    ``resume_state`` (core.runs.resume) continues a stopped or crashed run; the
    recorder then writes into that run's folder (a ``ResumedRunStore``).
    ``shared`` is a sweep's folder of work its runs share (baselines, teacher figures).

    Raises:
        PresetError / DataError: before the run starts (nothing is written).
        RunFailed: the run started and failed (the run store records it first).
    """
    control = control or RunControl()
    consumers = ([recorder] if recorder is not None else []) + list(callbacks)

    def emit(event: Event) -> None:
        event = meter.annotate(event)  # PhaseEnded gains energy_j
        for consumer in consumers:
            consumer(event)

    device = resolve_device(preset.train.device)
    meter = EnergyMeter(select_reader(gpu=device.type == "cuda"))
    data = prepare(load_dataset(preset.data), preset.data, preset.train.seed, device)
    check_inputs_fit(preset, data.dataset)  # a CNN on feature vectors: refused before the run
    check_models_fit({role: (model.architecture, model.args)  # too big: refused before the run
                      for role, model in run_models(preset) if not model.black_box},
                     data.dataset.input_shape, data.dataset.num_classes, preset.source)
    check_teachers_fit(preset, data.dataset.name, data.dataset.input_shape,  # shapes, classes,
                       data.dataset.num_classes, int(data.inputs.shape[0]))  # trained_on
    check_data_fits_ranks(preset, data.inputs)  # under DDP: in memory only, for now
    if green_problems(preset):  # e.g. green.qat with a ResNet student: refused before the run
        raise PresetError(preset.source, green_problems(preset))
    if teacher_pass_problems(preset.data):  # data.teacher_pass: onnxruntime, not installed
        raise PresetError(preset.source, teacher_pass_problems(preset.data))
    ctx = RunContext(preset, data, device, Hooks(emit, control, current_ranks()), recorder,
                     logits_cache=cache, resume_state=resume_state, shared=shared)
    team = load_team(ctx) if len(preset.teachers) > 1 else None  # teacher: [a, b, ...]
    teacher = None if team is not None else load_teacher(ctx)
    recorded = None
    if teacher is None and team is None:
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
    if not preset.train.threads and device.type == "cpu" and not ctx.hooks.ranks.distributed:
        # a count chosen for the run (not set, not the ranks' split): lowered mid-run
        # if another program takes a core (thread_guard.py); a resume goes on with it
        ctx.hooks.threads.watch(threads, lambda count: setattr(ctx.journal, "threads", count))
    emit(RunStarted(run_id, preset.name, _plan(ctx, method, team), str(device), preset.train.seed,
                    time.time()))
    timings: dict[str, float] = {}
    try:
        with torch_threads(threads), ctx.hooks.ranks.talking():
            figures = _run_phases(ctx, method, teacher, recorded, timings, cache_dir, meter,
                                  team)
    except RunStopped:
        summary = _summary(ctx, run_id, "stopped", {}, timings, meter)
        emit(RunEnded("stopped", summary))
        return RunResult(RunStatus.STOPPED, run_id, summary)
    except Exception as error:  # noqa: BLE001 - recorded, then re-raised for the caller
        message = str(error) if isinstance(error, RunFailed) else f"{type(error).__name__}: {error}"
        summary = _summary(ctx, run_id, "failed", {}, timings, meter)
        emit(RunEnded("failed", summary, message))
        if isinstance(error, RunFailed):
            raise
        raise RunFailed(message) from error
    summary = _summary(ctx, run_id, "completed", figures, timings, meter)
    emit(RunEnded("completed", summary))
    if recorder is not None:
        recorder.discard_resume_state()  # only once the summary says "completed"
    return RunResult(RunStatus.COMPLETED, run_id, summary)


def _run_phases(ctx: RunContext, method: Method, teacher: nn.Module | None,
                recorded: RecordedOutputs | None, timings: dict[str, float],
                cache_dir: Path | None, meter: EnergyMeter,
                team: list[TeacherMember] | None = None) -> dict[str, dict[str, Any]]:
    """Run the phases in order; returns the comparison figures per model."""
    def timed(name: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        with meter.phase(name):
            result = work()
        timings[f"{name}_s"] = time.perf_counter() - started
        return result

    models: dict[str, nn.Module] = {} if teacher is None else {"teacher": teacher}
    timings["teacher_s"] = 0.0
    if teacher is not None and ctx.preset.teacher.weights is None:
        timed("teacher", lambda: train_teacher(ctx, teacher))
    if team is not None:  # several teachers: each trained if needed, cached once, fused
        timed("teacher", lambda: train_team(ctx, team))
        models.update(timed("cache", lambda: cache_team(ctx, team, cache_dir)))
    elif recorded is not None:
        timed("cache", lambda: use_recorded(ctx, recorded))
    elif method.uses_teacher_cache or green_wanted(ctx.preset.green):  # green students need it
        timed("cache", lambda: cache_phase(ctx, teacher, cache_dir))  # memmap when streamed
    models.update(timed("student", lambda: method.train(ctx)))
    for name, model in models.items():
        if not is_teacher(name):
            ctx.save(name, model, ctx.model_preset(name))
    if ctx.preset.train.baseline:
        models["baseline"] = timed("baseline", lambda: train_baseline(ctx))
    if not ctx.hooks.ranks.writer:  # under DDP rank 0 alone benchmarks (distributed_run.py)
        return {}
    green = timed("green", lambda: run_green(ctx, models))  # student-qat, student-pruned
    models.update(green.models)
    figures = timed("benchmark", lambda: benchmark(ctx, models))
    add_green_figures(figures, green)
    add_onnx_figures(figures, models)  # an ONNX teacher's params and size come from its file
    if team is not None:
        figures = team_figures(ctx, team, figures)
    elif teacher is None:
        figures = {"teacher": recorded_figures(ctx), **figures}
    started = time.perf_counter()
    with meter.phase("benchmark"):  # the benchmark's last part: energy per 1,000 predictions
        add_inference_energy(figures, models, meter.reader, ctx.preset.compare, ctx.input_shape)
    timings["benchmark_s"] += time.perf_counter() - started
    share_teacher_figures(ctx, teacher, figures.get("teacher"),
                          ctx.recorder.run_id if ctx.recorder is not None else "")
    return figures


def _plan(ctx: RunContext, method: Method,
          team: list[TeacherMember] | None = None) -> tuple[PhasePlan, ...]:
    preset, data = ctx.preset, ctx.data
    plan = [] if team is None else team_plan(ctx, team)
    if team is not None:
        pass
    elif preset.teacher.weights is None and not preset.teacher.black_box:
        steps = natural_steps(int(data.labeled_rows.shape[0]), preset.teacher_train.batch_size)
        plan.append(PhasePlan("teacher", preset.teacher_train.epochs, steps))
    if team is not None:
        pass
    elif preset.teacher.architecture == "outputs":
        plan.append(PhasePlan("cache", 1, 1))  # the outputs are already recorded
    elif method.uses_teacher_cache or green_wanted(preset.green):
        plan.append(PhasePlan("cache", 1, cache_steps(ctx)))
    students = method.phases() + (["baseline"] if preset.train.baseline else [])
    plan += [PhasePlan(name, preset.train.epochs, ctx.student_steps()) for name in students]
    green = [PhasePlan(name, epochs, ctx.student_steps()) for name, epochs in green_plan(preset)]
    plan += green
    plan.append(PhasePlan("benchmark", 1, 1 + len(students) + len(green_models(preset))))
    return tuple(plan)


def _summary(ctx: RunContext, run_id: str, status: str, figures: dict[str, dict[str, Any]],
             timings: dict[str, float], meter: EnergyMeter) -> dict[str, Any]:
    from workbench._version import __version__

    data = ctx.data
    return {
        "status": status, "run_id": run_id, "name": ctx.preset.name,
        "models": figures, **ratios(figures),
        "timings": {key: timings.get(key, 0.0) for key in
                    ("teacher_s", "cache_s", "student_s", "baseline_s", "green_s",
                     "benchmark_s")},
        "energy": meter.summary(ctx.preset.green["grid_intensity"]),
        "seed": ctx.preset.train.seed, "device": str(ctx.device),
        # results depend on it (reduction order): record it so a run can be repeated exactly
        "train_threads": ctx.journal.threads,
        "thread_changes": ctx.hooks.threads.summary(),  # lowered mid-run (thread_guard.py)
        "ranks": ctx.hooks.ranks.world,  # processes that trained together (DDP)
        "distill": ctx.preset.distill.to_dict(),
        "dataset": dataset_summary(data),  # split sizes, classes, normalisation, notes
        "machine": machine_info(ctx.preset.compare.threads), "version": __version__,
    }
