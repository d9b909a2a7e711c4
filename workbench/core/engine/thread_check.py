"""Check the rule's thread count against the alternative by timing a few training steps.

The rule (``threads.choose_threads``) guesses from FLOPs and a 0.1 s look at the
cores; a few timed forward + backward passes of the largest trained model at
each count settle it. The check runs before the run's first step, on a copy of
nothing the run uses (its own model, a random batch from its own generator, the
global RNG forked), so the run's numbers depend only on the count chosen — which
the summary records as ``train_threads`` and a resumed run reuses.

The faster count wins once it is ``SWITCH_RATIO`` faster; near a tie the rule's count
stays. The counts take turns for ``CHECK_STEPS`` rounds, and on for as long as the
rounds are short (``CHECK_BUDGET_S``), so a 1 ms step is timed ~40 times and a
teacher-sized one 3 times. A run that picked several threads is watched while it
trains (``thread_guard``): a program that takes a core later costs a stretch of
steps, not the rest of the run. A count chosen by load can differ between runs of a
preset; ``train.threads`` fixes it where reruns must match bit for bit.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import torch
from torch import nn

from workbench.core.models.build import build_model

SWITCH_RATIO = 1.05  # the alternative must be this many times faster to replace the rule
CHECK_STEPS = 3  # timed steps per count at least (after one untimed warm-up step)
MAX_CHECK_STEPS = 50  # and at most, while the rounds stay within the budget
CHECK_BUDGET_S = 0.08  # seconds of timed steps after which no new round starts
HOPELESS_RATIO = 20.0  # a warm-up step this many times slower ends that count's timing
MAX_CHECK_FLOPS = 20e9  # forward FLOPs per batch above which a check step is not cheap


def pick(rule: int, alternative: int, rule_s: float, alternative_s: float) -> int:
    """The rule's count unless the alternative's step time is ``SWITCH_RATIO`` times lower."""
    if alternative_s > 0 and rule_s >= SWITCH_RATIO * alternative_s:
        return alternative
    return rule


def alternative_to(rule: int, free: int) -> int | None:
    """The count worth checking against the rule's: 1 against several, the free cores
    against 1; none when one core is all that is free (a busy core only slows threads)."""
    if rule > 1:
        return 1
    return free if free > 1 else None


def hopeless(warm_up_s: dict[int, float]) -> set[int]:
    """Counts whose warm-up step took ``HOPELESS_RATIO`` times the fastest one's: a thread
    on a busy core (hundreds of times slower) is not worth timing again."""
    fastest = min(warm_up_s.values())
    return {count for count, seconds in warm_up_s.items() if seconds > HOPELESS_RATIO * fastest}


def step_seconds(step: Callable[[], None], counts: Sequence[int], steps: int = CHECK_STEPS,
                 max_steps: int = MAX_CHECK_STEPS,
                 budget_s: float = CHECK_BUDGET_S) -> dict[int, float]:
    """Median time of ``step`` on each thread count; the counts take turns, so a burst
    of other programs' work falls on both rather than on one. ``steps`` rounds at
    least, more (up to ``max_steps``) while the timed rounds took under ``budget_s``."""
    before = torch.get_num_threads()
    warm_up_s: dict[int, float] = {}
    try:
        for count in counts:  # warm-up: allocations and each pool's start
            torch.set_num_threads(count)
            started = time.perf_counter()
            step()
            warm_up_s[count] = time.perf_counter() - started
        skipped = hopeless(warm_up_s)
        times: dict[int, list[float]] = {count: [] for count in counts if count not in skipped}
        timing_started = time.perf_counter()
        for round_index in range(max(steps, max_steps)):
            if round_index >= steps and time.perf_counter() - timing_started > budget_s:
                break
            for count in times:
                torch.set_num_threads(count)
                started = time.perf_counter()
                step()
                times[count].append(time.perf_counter() - started)
    finally:
        torch.set_num_threads(before)
    medians = {count: sorted(values)[len(values) // 2] for count, values in times.items()}
    return {count: medians.get(count, warm_up_s[count]) for count in counts}


def training_step(models: Sequence[tuple[str, dict, int]], input_shape: Sequence[int],
                  num_classes: int) -> Callable[[], None]:
    """One forward + backward pass of each trained model, fresh, on a random batch of its
    batch size (no optimizer: nothing of the run is touched)."""
    passes = []
    generator = torch.Generator().manual_seed(0)
    for architecture, args, batch_size in models:
        with torch.random.fork_rng(devices=[]):
            model: nn.Module = build_model(architecture, args, tuple(input_shape), num_classes)
        model.train()
        inputs = torch.randn((batch_size, *input_shape), generator=generator)
        targets = torch.randint(0, num_classes, (batch_size,), generator=generator)
        passes.append((model, inputs, targets))
    loss_fn = nn.CrossEntropyLoss()

    def step() -> None:
        for model, inputs, targets in passes:
            model.zero_grad(set_to_none=True)
            loss_fn(model(inputs), targets).backward()

    return step


def checked_threads(rule: int, free: int, step: Callable[[], None] | None) -> int:
    """The rule's count, or the alternative where a timed check finds it clearly faster."""
    alternative = alternative_to(rule, free)
    if alternative is None or step is None:
        return rule
    with torch.random.fork_rng(devices=[]):  # dropout and the like draw nothing of the run's
        seconds = step_seconds(step, (rule, alternative))
    return pick(rule, alternative, seconds[rule], seconds[alternative])
