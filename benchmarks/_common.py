"""Shared set-up for benchmark scripts: real Fashion-MNIST when present, else synthetic."""
from __future__ import annotations

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


def interleaved(variants: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Median seconds per variant, alternating variants each round (machines are noisy)."""
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, work in variants.items():
            samples[name].append(median_seconds(work))
    return {name: statistics.median(values) for name, values in samples.items()}
