"""The loop's numbers, checked by value: each test here killed a mutant that survived.

A mutation run (benchmarks/mutation.py) found loop changes the suite did not notice:
the schedule never stepping, ``loss_sum -= loss``, renamed metric keys, ``evaluate``
returning no accuracy, missing epoch/seconds/best-val values, a flip applied never or
always, one extra epoch, unseeded shuffling, alpha and T swapped in the mutual loss.
Every expectation below is worked out by hand from the tiny data, not read back.
"""
from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from workbench.core.config.section import Section
from workbench.core.data.batches import Batch, TrainSet
from workbench.core.distill.online import mutual_objective
from workbench.core.distill.step_loss import StepLoss, cross_entropy_objective
from workbench.core.engine.loop import Hooks, LoopState, PhaseSpec, _augment, fit
from workbench.core.stream.control import RunControl
from workbench.core.stream.events import EpochEnded, PhaseEnded, PhaseStarted, StepEnded

ROWS, BATCH, CLASSES, LR = 40, 16, 3, 0.05  # 3 steps per epoch (16 + 16 + 8)
STEPS = 3


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def recipe(epochs: int = 2, schedule: str = "constant", lr: float = LR) -> Section:
    return Section({"epochs": epochs, "batch_size": BATCH, "lr": lr, "optimizer": "adam",
                    "weight_decay": 0.0, "schedule": schedule})


def train_set(unlabeled: int = 0) -> TrainSet:
    """Every input row distinct, so a batch's rows can be told apart by their values."""
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(ROWS, 1, 2, 2, generator=generator)
    labels = torch.randint(0, CLASSES, (ROWS,), generator=generator)
    labels[:unlabeled] = -1
    return TrainSet(inputs, labels, torch.arange(ROWS))


def validation() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    return (torch.randn(24, 1, 2, 2, generator=generator),
            torch.randint(0, CLASSES, (24,), generator=generator))


def model(seed: int) -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(seed)
        return nn.Sequential(nn.Flatten(), nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, CLASSES))


class Seen:
    """A real objective that also keeps what it was given: inputs, labels, hits."""

    def __init__(self, inner: Any = cross_entropy_objective) -> None:
        self.inner = inner
        self.inputs: list[torch.Tensor] = []
        self.correct = self.labeled = 0

    def __call__(self, logits: Sequence[torch.Tensor], batch: Batch) -> Sequence[StepLoss]:
        self.inputs.append(batch.inputs.clone())
        self.correct += int((logits[0].argmax(1) == batch.labels).sum())
        self.labeled += int((batch.labels >= 0).sum())
        return self.inner(logits, batch)


def run(models: Sequence[nn.Module], spec: PhaseSpec, objective: Any = cross_entropy_objective,
        data: TrainSet | None = None, val: Any = None,
        on_epoch: Any = None) -> tuple[list[Any], list[Any]]:
    events: list[Any] = []
    phases = ["student"] + [f"peer-{index}" for index in range(2, len(models) + 1)]
    results = fit(spec, phases, models, objective, data or train_set(), val,
                  Hooks(events.append, RunControl()), on_epoch=on_epoch)
    return events, results


def of(events: list[Any], kind: type, phase: str = "student") -> list[Any]:
    return [event for event in events if isinstance(event, kind) and event.phase == phase]


def cosine_lr(step: int, total: int) -> float:
    return LR * 0.5 * (1 + math.cos(math.pi * step / total))


def onecycle_lr(step: int, total: int) -> float:
    """torch's OneCycleLR defaults written out: 30 % warm-up, cosine both ways."""
    start, peak, end = LR / 25.0, LR, LR / 25.0 / 1e4
    warm_end, last = 0.3 * total - 1, total - 1
    if step <= warm_end:
        low, high, pct = start, peak, step / warm_end
    else:
        low, high, pct = peak, end, (step - warm_end) / (last - warm_end)
    return high + (low - high) / 2.0 * (1 + math.cos(math.pi * pct))


@pytest.mark.parametrize(("schedule", "formula"),
                         [("cosine", cosine_lr), ("onecycle", onecycle_lr)])
def test_the_schedule_steps_once_per_optimizer_step(schedule: str, formula: Any) -> None:
    events, _ = run([model(0)], PhaseSpec(recipe(schedule=schedule), seed=0))
    rates = [event.metrics["lr"] for event in of(events, EpochEnded)]
    assert rates == pytest.approx([formula(STEPS, 2 * STEPS), formula(2 * STEPS, 2 * STEPS)],
                                  abs=1e-9)
    assert rates[0] != pytest.approx(LR)


def test_train_loss_is_the_mean_of_the_epochs_step_losses() -> None:
    events, results = run([model(0)], PhaseSpec(recipe(), seed=0))
    for epoch, ended in enumerate(of(events, EpochEnded), start=1):
        losses = [step.loss for step in of(events, StepEnded) if step.epoch == epoch]
        assert len(losses) == STEPS
        assert ended.metrics["train_loss"] == pytest.approx(sum(losses) / STEPS, rel=1e-9)
        assert results[0].history[epoch - 1]["train_loss"] == ended.metrics["train_loss"]


def test_train_acc_counts_the_labeled_rows_the_model_got_right_during_the_epoch() -> None:
    seen = Seen()
    events, _ = run([model(0)], PhaseSpec(recipe(epochs=1), seed=0), seen, train_set(unlabeled=7))
    assert seen.labeled == ROWS - 7
    assert of(events, EpochEnded)[0].metrics["train_acc"] == seen.correct / seen.labeled


def test_val_metrics_are_an_evaluation_of_the_model_at_each_epoch_end() -> None:
    inputs, labels = validation()
    by_hand: list[tuple[float, float]] = []

    def evaluate_by_hand(state: LoopState) -> None:
        check = model(0)
        check.load_state_dict(state.models[0])
        with torch.no_grad():
            logits = check(inputs)
        accuracy = int((logits.argmax(1) == labels).sum()) / labels.shape[0]
        by_hand.append((F.cross_entropy(logits, labels).item(), accuracy))

    events, results = run([model(0)], PhaseSpec(recipe(epochs=4, lr=0.2), seed=0),
                          val=(inputs, labels), on_epoch=evaluate_by_hand)
    reported = [(event.metrics["val_loss"], event.metrics["val_acc"])
                for event in of(events, EpochEnded)]
    assert len(reported) == 4
    for (loss, accuracy), (hand_loss, hand_accuracy) in zip(reported, by_hand):
        assert loss == pytest.approx(hand_loss, rel=1e-5)
        assert accuracy == pytest.approx(hand_accuracy, abs=1e-6)
    accuracies = [accuracy for _, accuracy in by_hand]
    best = max(range(4), key=lambda index: (accuracies[index], -index))
    assert (results[0].best_epoch, results[0].best_val_acc) == (best + 1,
                                                                pytest.approx(accuracies[best]))


NO_ROWS = (torch.zeros(0, 1, 2, 2), torch.zeros(0, dtype=torch.long))


@pytest.mark.parametrize("val", [None, NO_ROWS])
def test_without_validation_rows_there_are_no_val_metrics_and_no_best_epoch(val: Any) -> None:
    events, results = run([model(0)], PhaseSpec(recipe(), seed=0), val=val)
    assert [set(event.metrics) for event in of(events, EpochEnded)] == [
        {"train_loss", "lr", "train_acc"}] * 2
    assert (results[0].best_epoch, results[0].best_val_acc) == (None, None)


def test_events_carry_the_epoch_the_step_and_the_phase_results() -> None:
    started = time.perf_counter()
    events, results = run([model(0), model(1)], PhaseSpec(recipe(epochs=3, lr=0.2), seed=0),
                          mutual_objective(0.5, 2.0), val=validation())
    outside = time.perf_counter() - started
    for phase in ("student", "peer-2"):
        assert of(events, PhaseStarted, phase) == [PhaseStarted(phase, 3, STEPS)]
        assert [(event.epoch, event.step) for event in of(events, StepEnded, phase)] == [
            (1 + (step - 1) // STEPS, step) for step in range(1, 3 * STEPS + 1)]
        assert [event.epoch for event in of(events, EpochEnded, phase)] == [1, 2, 3]
    for phase, result in zip(("student", "peer-2"), results):
        [ended] = of(events, PhaseEnded, phase)
        accuracies = [row["val_acc"] for row in result.history]
        best = accuracies.index(max(accuracies))
        assert 0.0 < ended.seconds <= outside
        assert ended.seconds == result.seconds
        assert dict(ended.metrics) == {"best_val_acc": accuracies[best], "best_epoch": best + 1}


def test_a_fit_runs_exactly_its_epochs() -> None:
    for models in ([model(0)], [model(0), model(1)]):
        events, results = run(models, PhaseSpec(recipe(epochs=3), seed=0),
                              mutual_objective(0.5, 2.0) if len(models) > 1 else
                              cross_entropy_objective)
        assert len([event for event in events if isinstance(event, EpochEnded)]) == 3 * len(models)
        assert [len(result.history) for result in results] == [3] * len(models)


def batch_order(seed: int, peers: int) -> list[torch.Tensor]:
    seen = Seen(mutual_objective(0.5, 2.0) if peers > 1 else cross_entropy_objective)
    run([model(index) for index in range(peers)], PhaseSpec(recipe(), seed=seed), seen)
    return [inputs[:, 0, 0, 0] for inputs in seen.inputs]


@pytest.mark.parametrize("peers", [1, 2])
def test_the_batch_order_follows_the_seed_and_only_the_seed(peers: int) -> None:
    first = batch_order(0, peers)
    torch.manual_seed(12345)  # the process generator must not matter
    again = batch_order(0, peers)
    other = batch_order(1, peers)
    assert len(first) == 2 * STEPS
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(first, other, strict=True))
    data = train_set()
    expected = torch.randperm(ROWS, generator=torch.Generator().manual_seed(0)).split(BATCH)
    assert all(torch.equal(got, data.inputs[rows, 0, 0, 0]) for got, rows in zip(first, expected))


def test_flip_mirrors_exactly_the_rows_the_generator_draws() -> None:
    inputs = torch.arange(6 * 2 * 3 * 4, dtype=torch.float32).view(6, 2, 3, 4)
    flipped = _augment(inputs, "flip", torch.Generator().manual_seed(1))
    drawn = torch.rand(6, generator=torch.Generator().manual_seed(1)) < 0.5
    assert 0 < int(drawn.sum()) < 6  # the seed draws both kinds of rows
    for row in range(6):
        expected = inputs[row].flip(2) if drawn[row] else inputs[row]  # width, horizontal
        assert torch.equal(flipped[row], expected)
    assert _augment(inputs, "none", torch.Generator().manual_seed(1)) is inputs


class Recorded(nn.Module):
    """A real model that keeps the inputs it was trained on (the augmented batches)."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = model(0)
        self.inputs: list[torch.Tensor] = []

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.inputs.append(inputs.clone())
        return self.inner(inputs)


def test_teacher_training_with_flip_sees_the_flipped_batches() -> None:
    seen = Recorded()
    run([seen], PhaseSpec(recipe(epochs=1), seed=4, augment="flip"))
    data = train_set()
    generator = torch.Generator().manual_seed(4)
    order = torch.randperm(ROWS, generator=generator).split(BATCH)
    flips = 0
    for got, rows in zip(seen.inputs, order, strict=True):
        drawn = torch.rand(rows.shape[0], generator=generator) < 0.5
        flips += int(drawn.sum())
        rows_in = data.inputs[rows]
        expected = torch.where(drawn.view(-1, 1, 1, 1), rows_in.flip(3), rows_in)
        assert torch.equal(got, expected)
    assert 0 < flips < ROWS


def written_out_mutual(logits: list[torch.Tensor], labels: torch.Tensor, alpha: float,
                       temperature: float) -> list[float]:
    """alpha * CE + (1 - alpha) * T^2 * mean over the other peers j of KL(p_j || p_i)."""
    totals = []
    for index, own in enumerate(logits):
        hard = F.cross_entropy(own, labels)
        log_own = F.log_softmax(own / temperature, dim=1)
        kls = []
        for other, theirs in enumerate(logits):
            if other != index:
                log_theirs = F.log_softmax(theirs / temperature, dim=1)
                kls.append((log_theirs.exp() * (log_theirs - log_own)).sum(1).mean())
        soft = sum(kls) / len(kls)
        totals.append(float(alpha * hard + (1 - alpha) * temperature ** 2 * soft))
    return totals


@pytest.mark.parametrize(("alpha", "temperature"), [(0.3, 4.0), (0.8, 2.0)])
def test_the_mutual_objective_weighs_ce_by_alpha_and_softens_at_t(alpha: float,
                                                                  temperature: float) -> None:
    generator = torch.Generator().manual_seed(5)
    logits = [torch.randn(8, CLASSES, generator=generator) * 3 for _ in range(3)]
    labels = torch.randint(0, CLASSES, (8,), generator=generator)
    losses = mutual_objective(alpha, temperature)(logits, Batch(logits[0], labels, {}, True))
    assert [loss.values()[0] for loss in losses] == pytest.approx(
        written_out_mutual(logits, labels, alpha, temperature), rel=1e-5)
