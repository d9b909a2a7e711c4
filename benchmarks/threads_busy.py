"""Epoch time of the default thread count vs each fixed count: idle, one core busy, and a
core taken in the middle of the run.

The default (``train.threads`` unset) is chosen from the work per batch and the
free cores (workbench.core.engine.threads) and checked against the alternative
(thread_check.py); while the run trains, the thread guard lowers it if another
program takes a core (thread_guard.py). Busy: a busy-loop process pinned on core 0,
as another program on a desktop. "Taken mid-run": the busy loop starts when the
student's first epoch ends. Variants alternate within a round (the machine is
shared and noisy); the table gives the median student-phase time per epoch of a
fashion-kd run of ``--epochs`` epochs (the default's includes choosing, once per
run) and its ratio to the best fixed count.

    .venv/bin/python benchmarks/threads_busy.py [--rounds 3] [--epochs 3] [--out results/threads_busy.md]
    .venv/bin/python benchmarks/threads_busy.py --calibrate [--out results/threads_calibration.md]

``--calibrate`` times one forward + backward step of each bundled model at batch 128
on 1 thread and on every usable core (the counts take turns), against its forward
FLOPs per batch: where a second thread starts to pay is where ``SMALL_WORK_FLOPS``
belongs.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time
from pathlib import Path

from workbench.core.engine import pipeline
from workbench.core.engine.pipeline import run_experiment
from workbench.core.engine.threads import default_threads, usable_cores
from workbench.core.presets import load_experiment
from workbench.core.stream.events import EpochEnded

BASE = ["train.baseline=false", "compare.latency_repeats=3", "compare.warmup=1",
        "compare.throughput_batch=32"]


def _spin(core: int) -> None:
    os.sched_setaffinity(0, {core})
    try:  # another program runs at the normal priority, even when this benchmark is niced
        os.setpriority(os.PRIO_PROCESS, 0, 0)
    except PermissionError:
        pass
    while True:
        pass


class Spinner:
    """A busy loop on one core, started and stopped on demand."""

    def __init__(self, core: int) -> None:
        self.core, self.process = core, None

    def start(self) -> None:
        if self.process is None:
            self.process = multiprocessing.get_context("spawn").Process(
                target=_spin, args=(self.core,), daemon=True)
            self.process.start()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.join()
            self.process = None


CHOSEN: list[int] = []  # what the default chose, run by run
CHOICE_S: list[float] = []  # and how long choosing took (FLOPs, free cores, timed check)
LOWERED: list[dict] = []  # the thread guard's changes in the default's runs


def _timed_default(preset: object, dataset: object) -> int:
    started = time.perf_counter()
    count = default_threads(preset, dataset)
    CHOICE_S.append(time.perf_counter() - started)
    CHOSEN.append(count)
    return count


pipeline.default_threads = _timed_default  # type: ignore[assignment]


def student_epoch_s(threads: int | None, epochs: int, spinner: Spinner | None = None,
                    mid_run: bool = False) -> float:
    """The student phase of a run per epoch; for the default, plus the time it took to
    choose (once per run, before the phase). ``mid_run``: the spinner starts when the
    student's first epoch ends, and stops with the run."""
    overrides = BASE + [f"train.epochs={epochs}"] + (
        [] if threads is None else [f"train.threads={threads}"])
    chosen_before = len(CHOICE_S)

    def take_a_core(event: object) -> None:
        if (mid_run and spinner is not None and isinstance(event, EpochEnded)
                and event.phase == "student" and event.epoch == 1):
            spinner.start()

    try:
        result = run_experiment(load_experiment("fashion-kd", overrides), callbacks=[take_a_core])
    finally:
        if mid_run and spinner is not None:
            spinner.stop()
    choosing = sum(CHOICE_S[chosen_before:])
    LOWERED.extend(result.summary.get("thread_changes", []) if threads is None else [])
    return (float(result.summary["timings"]["student_s"]) + choosing) / epochs


def measure(variants: list[int | None], rounds: int, epochs: int, spinner: Spinner | None = None,
            mid_run: bool = False) -> dict[int | None, float]:
    samples: dict[int | None, list[float]] = {variant: [] for variant in variants}
    for round_index in range(rounds):
        shift = round_index % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            samples[variant].append(student_epoch_s(variant, epochs, spinner, mid_run))
    return {variant: statistics.median(times) for variant, times in samples.items()}


def chosen_text() -> str:
    """``chose 1, 1, 2; choosing took 0.12 s (median)``, then forget them for the next table."""
    text = (f"default chose {', '.join(map(str, CHOSEN))} thread(s); choosing took "
            f"{statistics.median(CHOICE_S):.2f} s (median, counted in its time)")
    if LOWERED:
        text += "; the guard lowered it: " + ", ".join(
            f"{c['before']} → {c['after']} (steps {c['best_step_ms']:.1f} → "
            f"{c['slow_step_ms']:.1f} ms)" for c in LOWERED)
    CHOSEN.clear()
    CHOICE_S.clear()
    LOWERED.clear()
    return text


def table(title: str, medians: dict[int | None, float]) -> list[str]:
    fixed = {key: value for key, value in medians.items() if key is not None}
    best = min(fixed.values())
    lines = [f"## {title}", "", "| threads | epoch s (median) | ratio to best fixed |",
             "|---|---|---|"]
    for variant, seconds in medians.items():
        name = "default" if variant is None else str(variant)
        lines.append(f"| {name} | {seconds:.2f} | {seconds / best:.2f} |")
    return lines + [""]


CALIBRATION_MODELS = ("fashion-mlp-64", "fashion-mlp-100", "fashion-cnn-tiny", "fashion-cnn-small",
                      "resnet-small", "fashion-cnn")


def calibrate(batch: int = 128, steps: int = 5) -> list[str]:
    from workbench.core.engine.thread_check import step_seconds, training_step
    from workbench.core.engine.threads import batch_flops
    from workbench.core.presets.load import load_model_preset

    cores = len(usable_cores())
    lines = [f"# One training step, 1 thread vs {cores} (batch {batch}, median of {steps}, "
             f"load average {os.getloadavg()[0]:.1f} at the start)", "",
             f"| model | forward MFLOPs / batch | 1 thread ms | {cores} threads ms | "
             f"{cores} threads / 1 |", "|---|---|---|---|---|"]
    for name in CALIBRATION_MODELS:
        model = load_model_preset(name)
        trained = [(model.architecture, dict(model.args), batch)]
        flops = batch_flops(trained, (1, 28, 28), 10)
        seconds = step_seconds(training_step(trained, (1, 28, 28), 10), (1, cores), steps)
        lines.append(f"| {name} | {flops / 1e6:,.0f} | {1000 * seconds[1]:.1f} | "
                     f"{1000 * seconds[cores]:.1f} | {seconds[cores] / seconds[1]:.2f} |")
    lines.append(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.calibrate:
        text = "\n".join(calibrate()) + "\n"
        print(text)
        if args.out:
            args.out.write_text(text, encoding="utf-8")
        return
    cores = usable_cores()
    variants: list[int | None] = [None, *range(1, len(cores) + 1)]
    student_epoch_s(1, 1)  # warm: teacher outputs and dataset on disk
    spinner = Spinner(cores[0])
    sections = []
    for title, mid_run in ((None, False), ("busy", False), ("mid-run", True)):
        load = os.getloadavg()[0]
        if title == "busy":
            spinner.start()
        try:
            medians = measure(variants, args.rounds, args.epochs, spinner, mid_run)
        finally:
            if title == "busy":
                spinner.stop()
        heading = {None: f"No extra load (other users' work only; 1-min load {load:.1f})",
                   "busy": f"One core busy (a busy loop pinned on core {cores[0]}; 1-min load "
                           f"{load:.1f} before it)",
                   "mid-run": f"A core taken mid-run (the busy loop starts when the student's "
                              f"first epoch ends; 1-min load {load:.1f} before it)"}[title]
        section = [*table(heading, medians), chosen_text(), ""]
        print("\n".join(section), flush=True)
        sections += section
    lines = [f"# Default threads vs fixed (fashion-kd student, {args.epochs}-epoch runs, "
             f"{len(cores)} cores, {args.rounds} rounds)", "", *sections]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
