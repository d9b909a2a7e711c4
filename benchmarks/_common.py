"""Shared set-up for benchmark scripts: real Fashion-MNIST when present, else synthetic."""
from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from workbench.core.errors import DataError
from workbench.core.presets import load_experiment


def load_preset(name: str, overrides: list[str] | None = None):
    """The named preset on Fashion-MNIST, falling back to synthetic data if it is missing."""
    preset = load_experiment(name, overrides)
    try:
        from workbench.core.data.prepare import load_dataset

        load_dataset(preset.data)
        return preset, "fashion-mnist"
    except DataError:
        return load_experiment(name, (overrides or []) + ["data.dataset=synthetic",
                                                          "data.val_size=1000"]), "synthetic"


def median_seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def cpu_seconds(work: Callable[[], object]) -> float:
    """CPU seconds of this process while ``work`` runs (other jobs' load does not count)."""
    started = time.process_time()
    work()
    return time.process_time() - started


def add_clock_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="cpu: this process's CPU seconds (steadier on a shared machine; "
                        "use with --threads 1)")


def use_clock(clock: str) -> None:
    """Time every sample of ``interleaved_samples`` on ``clock`` (see ``add_clock_option``)."""
    global median_seconds
    if clock == "cpu":
        median_seconds = cpu_seconds


def interleaved_samples(variants: dict[str, Callable[[], object]],
                        rounds: int) -> dict[str, list[float]]:
    """Seconds per variant and round, after one untimed warm-up round.

    Variants alternate within a round (machines are noisy) and the order rotates from
    round to round, so no variant always runs first (the first of a round runs slower).
    """
    names = list(variants)
    for work in variants.values():
        work()
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(median_seconds(variants[name]))
    return samples


def paired_ratio(samples: dict[str, list[float]], numerator: str,
                 denominator: str) -> tuple[float, float, float]:
    """Median, lower and upper quartile of ``numerator / denominator`` taken round by
    round: both were timed moments apart, so a machine slowing down between rounds
    cancels out instead of landing in one variant's median."""
    ratios = sorted(a / b for a, b in zip(samples[numerator], samples[denominator]))
    quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
    return statistics.median(ratios), quartiles[0], quartiles[-1]
