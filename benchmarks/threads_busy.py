"""Epoch time of the default thread count vs each fixed count, idle and with one core busy.

The default (``train.threads`` unset) is chosen from the work per batch and the
free cores (workbench.core.engine.threads). Busy: a busy-loop process pinned on
core 0, as another program on a desktop. Variants alternate within a round
(the machine is shared and noisy); the table gives the median student-phase time
of a fashion-kd epoch and its ratio to the best fixed count.

    .venv/bin/python benchmarks/threads_busy.py [--rounds 3] [--out results/threads_busy.md]
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
from pathlib import Path

from workbench.core.engine.pipeline import run_experiment
from workbench.core.engine.threads import usable_cores
from workbench.core.presets import load_experiment

BASE = ["train.epochs=1", "train.baseline=false", "compare.latency_repeats=3",
        "compare.warmup=1", "compare.throughput_batch=32"]


def _spin(core: int) -> None:
    os.sched_setaffinity(0, {core})
    while True:
        pass


def student_epoch_s(threads: int | None) -> float:
    overrides = BASE + ([] if threads is None else [f"train.threads={threads}"])
    result = run_experiment(load_experiment("fashion-kd", overrides))
    return float(result.summary["timings"]["student_s"])


def measure(variants: list[int | None], rounds: int) -> dict[int | None, float]:
    samples: dict[int | None, list[float]] = {variant: [] for variant in variants}
    for round_index in range(rounds):
        shift = round_index % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            samples[variant].append(student_epoch_s(variant))
    return {variant: statistics.median(times) for variant, times in samples.items()}


def table(title: str, medians: dict[int | None, float]) -> list[str]:
    fixed = {key: value for key, value in medians.items() if key is not None}
    best = min(fixed.values())
    lines = [f"## {title}", "", "| threads | epoch s (median) | ratio to best fixed |",
             "|---|---|---|"]
    for variant, seconds in medians.items():
        name = "default" if variant is None else str(variant)
        lines.append(f"| {name} | {seconds:.2f} | {seconds / best:.2f} |")
    return lines + [""]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    cores = usable_cores()
    variants: list[int | None] = [None, *range(1, len(cores) + 1)]
    student_epoch_s(1)  # warm: teacher outputs and dataset on disk
    idle = measure(variants, args.rounds)
    spinner = multiprocessing.get_context("spawn").Process(target=_spin, args=(cores[0],),
                                                           daemon=True)
    spinner.start()
    try:
        busy = measure(variants, args.rounds)
    finally:
        spinner.terminate()
        spinner.join()
    lines = [f"# Default threads vs fixed (fashion-kd student, 1 epoch, {len(cores)} cores, "
             f"{args.rounds} rounds)", "",
             *table("No extra load (other users' work only)", idle),
             *table(f"One core busy (a busy loop pinned on core {cores[0]})", busy)]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
