"""The default torch thread count: from the work per batch and the cores actually free.

More threads only pay when a batch has enough work to split; a small model
spends the extra threads waiting on each other. And a thread placed on a core
another program keeps busy stalls every step of the others: with one of two
cores busy, two threads made a small MLP's epoch five times slower than one.
The rule is a guess; ``thread_check`` times a few steps of it against the
alternative before the run's first step, where that is cheap.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import psutil
import torch

from workbench.core.engine.distributed import ranks_per_machine
from workbench.core.engine.thread_check import MAX_CHECK_FLOPS, checked_threads, training_step
from workbench.core.measure.size import flops_per_sample
from workbench.core.models.build import build_model

# Forward FLOPs per batch below which one thread is as fast as several (measured on a
# 2-core CPU: fashion-mlp-64 at batch 128, ~13 MFLOPs, gains nothing from a second thread).
SMALL_WORK_FLOPS = 200e6
BUSY_PERCENT = 50.0  # a core this busy (over the sampling window) is someone else's
SAMPLE_S = 0.1


def usable_cores() -> list[int]:
    """The cores this process may run on (affinity), or all of them where that is unknown."""
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return list(range(os.cpu_count() or 1))


def free_cores(sample_s: float = SAMPLE_S) -> int:
    """Usable cores not kept busy by other programs right now (at least 1).

    Under torchrun the ranks on this machine split its cores evenly instead: each
    would see the others' load as busy cores, and together they must not ask for more.
    """
    cores = usable_cores()
    if ranks_per_machine() > 1:
        return max(1, len(cores) // ranks_per_machine())
    try:
        load = psutil.cpu_percent(interval=sample_s, percpu=True)
    except (OSError, RuntimeError):
        return len(cores)
    busy = sum(1 for core in cores if core < len(load) and load[core] >= BUSY_PERCENT)
    return max(1, len(cores) - busy)


def choose_threads(flops_per_batch: float, free: int) -> int:
    """1 thread for small work, otherwise every free core (and never more than those)."""
    if flops_per_batch < SMALL_WORK_FLOPS:
        return 1
    return max(1, free)


def batch_flops(models: Sequence[tuple[str, dict, int]], input_shape: tuple[int, ...],
                num_classes: int) -> float:
    """The largest forward FLOPs per batch among ``(architecture, args, batch_size)``.

    Built under a forked RNG so measuring never changes what the run draws.
    """
    largest = 0.0
    with torch.random.fork_rng(devices=[]):
        for architecture, args, batch_size in models:
            model = build_model(architecture, args, input_shape, num_classes)
            largest = max(largest, flops_per_sample(model, input_shape) * float(batch_size))
    return largest


def default_threads(preset: Any, dataset: Any) -> int:
    """The thread count for a run whose preset leaves ``train.threads`` unset.

    Args:
        preset: the run's ExperimentPreset.
        dataset: anything with ``input_shape`` and ``num_classes`` (the loaded dataset).
    """
    trained = [(preset.student.architecture, dict(preset.student.args), preset.train.batch_size)]
    teacher = preset.teacher
    if teacher.weights is None and not teacher.black_box:
        trained.append((teacher.architecture, dict(teacher.args), preset.teacher_train.batch_size))
    try:
        work = batch_flops(trained, tuple(dataset.input_shape), int(dataset.num_classes))
    except Exception:  # noqa: BLE001 - an uncountable model: fall back to the free cores
        work = float("inf")
    free = free_cores()
    rule = choose_threads(work, free)
    if work > MAX_CHECK_FLOPS or ranks_per_machine() > 1:  # not cheap / timed against siblings
        return rule
    step = training_step(trained, tuple(dataset.input_shape), int(dataset.num_classes))
    return checked_threads(rule, free, step)  # timed before the run's first step
