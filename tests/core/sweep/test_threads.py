"""Thread budgets: J workers × threads never exceed the cores; small work gets one thread."""
from __future__ import annotations

import pytest
import torch

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


def test_the_fashion_mlp_student_starts_from_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """fashion-kd: a 51k-param MLP (13 MFLOPs a batch), the bundled teacher is not trained;
    the rule alone (the timed check may find a second thread faster on an idle machine)."""
    from workbench.core.engine import threads

    monkeypatch.setattr(threads, "free_cores", lambda sample_s=0.1: 2)
    monkeypatch.setattr(threads, "MAX_CHECK_FLOPS", 0.0)
    assert default_threads(load_experiment("fashion-kd"), _Dataset()) == 1


def test_a_trained_cnn_teacher_may_use_every_free_core(monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.core.engine import threads

    monkeypatch.setattr(threads, "free_cores", lambda sample_s=0.1: 2)
    monkeypatch.setattr(threads, "MAX_CHECK_FLOPS", 0.0)  # the rule alone, no timed check
    assert default_threads(load_experiment("fashion-teacher"), _Dataset()) == 2


# --- the check against the alternative at the start of a run (issue 14) ----------------
from workbench.core.engine import thread_check  # noqa: E402


@pytest.mark.parametrize("rule, free, expected", [
    (1, 2, 2),  # small work: check the free cores
    (1, 1, None),  # one free core: a second thread would sit on a busy core
    (4, 4, 1),  # big work: check a single thread
])
def test_the_alternative_checked(rule: int, free: int, expected: int | None) -> None:
    assert thread_check.alternative_to(rule, free) == expected


@pytest.mark.parametrize("rule_s, alternative_s, expected", [
    (1.0, 0.5, 2),  # clearly faster: switch
    (1.0, 0.97, 1),  # within the margin: a near tie keeps the rule's count
    (1.0, 1.0 / thread_check.SWITCH_RATIO, 2),
    (0.5, 8.0, 1),  # a busy core: 16x slower, never chosen
])
def test_the_alternative_wins_only_when_clearly_faster(rule_s: float, alternative_s: float,
                                                        expected: int) -> None:
    assert thread_check.pick(1, 2, rule_s, alternative_s) == expected


def test_the_check_times_each_count_and_touches_no_random_state() -> None:
    step = thread_check.training_step([("mlp", {"hidden": [16]}, 8)], (1, 28, 28), 10)
    seen: list[int] = []
    state = torch.random.get_rng_state()
    threads_before = torch.get_num_threads()
    chosen = thread_check.checked_threads(1, 2, lambda: (seen.append(torch.get_num_threads()),
                                                         step()))
    assert torch.equal(torch.random.get_rng_state(), state)
    assert torch.get_num_threads() == threads_before
    assert chosen in (1, 2)
    assert seen[:2] == [1, 2]  # one warm-up per count, then the counts take turns
    timed = seen[2:]
    assert timed == [1, 2] * (len(timed) // 2) or timed == [1] * len(timed)  # 2 hopeless
    assert thread_check.CHECK_STEPS <= len(timed) <= 2 * thread_check.MAX_CHECK_STEPS


@pytest.mark.parametrize("budget_s, rounds", [(0.0, 3), (60.0, 7)])
def test_the_check_goes_on_past_its_minimum_only_while_within_its_budget(
        budget_s: float, rounds: int) -> None:
    calls: list[int] = []
    thread_check.step_seconds(lambda: calls.append(torch.get_num_threads()), (1, 2),
                              steps=3, max_steps=7, budget_s=budget_s)
    assert calls == [1, 2] + [1, 2] * rounds


def test_a_count_far_slower_in_its_warm_up_is_not_timed_again() -> None:
    assert thread_check.hopeless({1: 0.001, 2: 0.26}) == {2}
    assert thread_check.hopeless({1: 0.010, 2: 0.015}) == set()
    assert thread_check.hopeless({1: 0.5, 2: 0.02}) == {1}


def test_default_threads_keeps_the_rule_when_one_core_is_free(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.core.engine import threads

    monkeypatch.setattr(threads, "free_cores", lambda sample_s=0.1: 1)
    monkeypatch.setattr(thread_check, "step_seconds", _never)
    assert default_threads(load_experiment("fashion-kd"), _Dataset()) == 1


def _never(*_args: object, **_kwargs: object) -> dict[int, float]:
    raise AssertionError("no check is due with one free core")
