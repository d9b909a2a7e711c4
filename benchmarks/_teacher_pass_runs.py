"""Whole runs for benchmarks/teacher_pass.py: time to the first live loss, and the student's
accuracy on NCHW vs channels_last teacher logits (seeds side by side)."""
from __future__ import annotations

import statistics
import time
from pathlib import Path


PACE_STEPS = 40  # student steps timed after the first one, to estimate its epoch


def first_run(preset_name: str, cache_dir: Path, memory: object = None,
              overrides: tuple[str, ...] = ()) -> dict[str, float]:
    """Seconds from calling ``run_experiment`` to each milestone, stopped at the first loss.

    Milestones: RunStarted (dataset, models, thread choice done), the cache phase's start
    and end, and the first student StepEnded (the first live loss point).
    """
    from workbench.core.engine.pipeline import run_experiment
    from workbench.core.presets import load_experiment
    from workbench.core.stream.control import RunControl
    from workbench.core.stream.events import PhaseEnded, PhaseStarted, RunStarted, StepEnded

    control, marks, called = RunControl(), {}, time.perf_counter()
    steps = [0]

    def watch(event: object) -> None:
        now = time.perf_counter() - called
        if isinstance(event, RunStarted):
            marks["run_started_s"] = now
            steps[0] = next(p.steps_per_epoch for p in event.plan if p.phase == "student")
        elif isinstance(event, PhaseStarted) and event.phase == "cache":
            marks["cache_started_s"] = now
        elif isinstance(event, PhaseEnded) and event.phase == "cache":
            marks["cache_phase_s"] = event.seconds
            marks["origin"] = event.metrics.get("origin")
        elif isinstance(event, StepEnded):
            if "first_loss_s" not in marks:
                marks["first_loss_s"] = now
            if event.step == 1 + PACE_STEPS:  # the student's pace, for the streaming question
                marks["epoch_estimate_s"] = (now - marks["first_loss_s"]) / PACE_STEPS * steps[0]
                control.request_stop()

    preset = load_experiment(preset_name, ["train.baseline=false", *overrides])
    run_experiment(preset, callbacks=[watch], control=control, cache_dir=cache_dir, cache=memory)
    return marks


def first_runs(preset_name: str, overrides: tuple[str, ...] = ()
               ) -> list[tuple[str, dict[str, float]]]:
    """A first run (nothing cached), then a run reading the disk cache, then one from memory
    (the desktop app keeps one ``TeacherLogitsCache`` for its lifetime)."""
    import tempfile

    from workbench.core.engine.teacher_cache import TeacherLogitsCache

    memory = TeacherLogitsCache()
    with tempfile.TemporaryDirectory() as folder:
        cold = first_run(preset_name, Path(folder), None, overrides)
        disk = first_run(preset_name, Path(folder), memory, overrides)
        warm = first_run(preset_name, Path(folder), memory, overrides)
    return [("nothing cached", cold), ("teacher outputs on disk (CLI)", disk),
            ("teacher outputs in memory (window, 2nd run)", warm)]


def first_runs_markdown(preset_name: str, overrides: tuple[str, ...],
                        runs: list[tuple[str, dict[str, float]]], load: tuple[float, float]) -> str:
    lines = ["", f"## `{preset_name} {' '.join(overrides)}`: seconds from pressing Run "
             f"(load average {load[0]:.1f} -> {load[1]:.1f})", "",
             "| case | run started | cache phase | first live loss | student epoch (est.) |",
             "|---|---|---|---|---|"]
    for case, marks in runs:
        lines.append(f"| {case} ({marks.get('origin')}) | {marks.get('run_started_s', 0):.1f} "
                     f"| {marks.get('cache_phase_s', 0):.1f} | {marks.get('first_loss_s', 0):.1f} "
                     f"| {marks.get('epoch_estimate_s', 0):.1f} |")
    return "\n".join(lines) + "\n"


def student_check(preset_name: str, overrides: tuple[str, ...], seeds: int) -> str:
    """The distilled student's test accuracy per seed with the teacher logits of each pass
    (``data.teacher_pass``): the last-bit drift of the logits must not move the result
    beyond noise."""
    import tempfile

    from workbench.core.engine.pipeline import run_experiment
    from workbench.core.engine.teacher_pass_ort import onnxruntime_ready
    from workbench.core.presets import load_experiment

    passes = [("exact: the model's own NCHW forward", "exact"),
              ("torch: BN folded + channels_last", "torch")]
    if onnxruntime_ready():
        passes.append(("onnxruntime", "onnxruntime"))
    rows = []
    for label, mode in passes:
        accuracies = []
        with tempfile.TemporaryDirectory() as folder:
            for seed in range(seeds):
                preset = load_experiment(preset_name, ["train.baseline=false", *overrides,
                                                       f"train.seed={seed}",
                                                       f"data.teacher_pass={mode}"])
                summary = run_experiment(preset, cache_dir=Path(folder)).summary
                accuracies.append(summary["models"]["student"]["accuracy"])
        rows.append(f"| {label} | " + " | ".join(f"{value:.4f}" for value in accuracies)
                    + f" | {statistics.mean(accuracies):.4f} |")
    header = " | ".join(f"seed {seed}" for seed in range(seeds))
    return (f"\n\n## Student test accuracy: `{preset_name} {' '.join(overrides)}`\n\n"
            f"| teacher logits | {header} | mean |\n|---|{'---|' * (seeds + 1)}\n"
            + "\n".join(rows) + "\n")
