"""Thread budgets: J workers × threads never exceed the cores; small work gets one thread."""
from __future__ import annotations

import pytest

from workbench.core.engine.threads import (SMALL_WORK_FLOPS, choose_threads, default_threads,
                                           free_cores, usable_cores)
from workbench.core.presets import load_experiment
from workbench.core.sweep.executor import ThreadPlan, thread_plan


@pytest.mark.parametrize("cores", range(1, 17))
def test_jobs_never_oversubscribe_the_cores(cores: int) -> None:
    for jobs in range(1, 20):
        for free in range(1, cores + 1):
            plan = thread_plan(jobs, cores, free)
            threads = plan.threads or 1
            assert plan.jobs * threads <= cores
            assert plan.jobs >= 1 and threads >= 1


@pytest.mark.parametrize("jobs, cores, free, expected", [
    (1, 2, 2, ThreadPlan(1, None)),  # one job: the engine's own default
    (2, 2, 2, ThreadPlan(2, 1)),
    (3, 8, 8, ThreadPlan(3, 2)),
    (2, 8, 3, ThreadPlan(2, 1)),  # five cores busy with other programs
    (4, 2, 2, ThreadPlan(2, 1)),  # more jobs than cores: capped
    (2, 16, 16, ThreadPlan(2, 8)),
])
def test_thread_plan(jobs: int, cores: int, free: int, expected: ThreadPlan) -> None:
    assert thread_plan(jobs, cores, free) == expected


def test_small_work_gets_one_thread_and_big_work_the_free_cores() -> None:
    assert choose_threads(SMALL_WORK_FLOPS / 10, free=8) == 1
    assert choose_threads(SMALL_WORK_FLOPS * 10, free=8) == 8
    assert choose_threads(SMALL_WORK_FLOPS * 10, free=1) == 1


def test_free_cores_are_usable_cores_at_most() -> None:
    assert 1 <= free_cores(0.05) <= len(usable_cores())


class _Dataset:
    input_shape = (1, 28, 28)
    num_classes = 10


def test_the_fashion_mlp_student_trains_on_one_thread() -> None:
    """fashion-kd: a 51k-param MLP (13 MFLOPs a batch), the bundled teacher is not trained."""
    assert default_threads(load_experiment("fashion-kd"), _Dataset()) == 1


def test_a_trained_cnn_teacher_may_use_every_free_core(monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.core.engine import threads

    monkeypatch.setattr(threads, "free_cores", lambda sample_s=0.1: 2)
    assert default_threads(load_experiment("fashion-teacher"), _Dataset()) == 2
