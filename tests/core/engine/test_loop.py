"""The one training loop: N models on the same batches, events in a fixed order."""
from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import pytest
import torch
from torch import nn

from workbench.core.config.section import Section
from workbench.core.data.batches import Batch, TrainSet
from workbench.core.distill.online import mutual_losses, mutual_objective
from workbench.core.distill.step_loss import PlainLoss, StepLoss, cross_entropy_objective
from workbench.core.engine.loop import Hooks, PhaseSpec, fit
from workbench.core.stream.control import RunControl

ROWS, BATCH, CLASSES = 40, 16, 3  # 3 steps per epoch (16 + 16 + 8)
RECIPE = Section({"epochs": 2, "batch_size": BATCH, "lr": 0.05, "optimizer": "adam",
                  "weight_decay": 0.0, "schedule": "cosine"})


def train_set() -> TrainSet:
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(ROWS, 1, 2, 2, generator=generator)
    labels = torch.randint(0, CLASSES, (ROWS,), generator=generator)
    return TrainSet(inputs, labels, torch.arange(ROWS))


def model(seed: int) -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(seed)
        return nn.Sequential(nn.Flatten(), nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, CLASSES))


def run(models: Sequence[nn.Module], phases: Sequence[str], objective: Any,
        ) -> list[tuple[str, str, int | None]]:
    events: list[Any] = []
    fit(PhaseSpec(RECIPE, seed=0), phases, models, objective, train_set(),
        (train_set().inputs, train_set().labels), Hooks(events.append, RunControl()))
    return [(type(event).__name__, event.phase, getattr(event, "epoch", None))
            for event in events]


def test_one_model_emits_its_phase_steps_and_epochs_in_order() -> None:
    shapes = run([model(0)], ["student"], cross_entropy_objective)
    per_epoch = [("StepEnded", "student", 1)] * 3 + [("EpochEnded", "student", 1)]
    assert shapes == ([("PhaseStarted", "student", None)] + per_epoch
                      + [(name, phase, 2 if epoch else None) for name, phase, epoch in per_epoch]
                      + [("PhaseEnded", "student", None)])


def test_peers_start_together_then_report_each_step_and_epoch_in_peer_order() -> None:
    peers = ["student", "peer-2", "peer-3"]
    shapes = run([model(seed) for seed in range(3)], peers, mutual_objective(0.5, 3.0))
    expected = [("PhaseStarted", peer, None) for peer in peers]
    for epoch in (1, 2):
        expected += [("StepEnded", peer, epoch) for _ in range(3) for peer in peers]
        expected += [("EpochEnded", peer, epoch) for peer in peers]
    assert shapes == expected + [("PhaseEnded", peer, None) for peer in peers]


def test_every_model_gets_the_same_metrics_and_the_same_step_numbers() -> None:
    events: list[Any] = []
    fit(PhaseSpec(RECIPE, seed=0), ["student", "peer-2"], [model(0), model(1)],
        mutual_objective(0.5, 3.0), train_set(), (train_set().inputs, train_set().labels),
        Hooks(events.append, RunControl()))
    epochs = {event.phase: event.metrics for event in events
              if type(event).__name__ == "EpochEnded" and event.epoch == 2}
    assert set(epochs["student"]) == set(epochs["peer-2"]) == {
        "train_loss", "lr", "train_acc", "val_loss", "val_acc", "alpha", "temperature"}
    assert epochs["student"]["lr"] == epochs["peer-2"]["lr"]
    assert (epochs["student"]["alpha"], epochs["student"]["temperature"]) == (0.5, 3.0)
    steps = [(event.phase, event.step) for event in events if type(event).__name__ == "StepEnded"]
    assert steps == [(peer, step) for step in range(1, 7) for peer in ("student", "peer-2")]


def test_every_peer_is_updated_and_learns_from_the_others() -> None:
    """Each peer moves, and not as it would alone: the others' outputs teach it."""
    peers = [model(0), model(1)]
    alone = [copy.deepcopy(peer) for peer in peers]
    initial = [copy.deepcopy(peer.state_dict()) for peer in peers]
    events: list[Any] = []
    fit(PhaseSpec(RECIPE, seed=0), ["student", "peer-2"], peers, mutual_objective(0.0, 3.0),
        train_set(), None, Hooks(events.append, RunControl()))
    first_step = {event.phase: event.soft for event in events
                  if type(event).__name__ == "StepEnded" and event.step == 1}
    assert min(first_step.values()) > 1e-3  # KL from another peer, not from itself (0)
    for peer, start in zip(peers, initial):
        assert any(not torch.equal(value, start[key]) for key, value in peer.state_dict().items())
    for index, single in enumerate(alone):
        run([single], ["student"], cross_entropy_objective)
        assert any(not torch.allclose(value, single.state_dict()[key])
                   for key, value in peers[index].state_dict().items())


def test_one_backward_per_peer_gives_the_gradients_of_the_summed_loss_bit_for_bit() -> None:
    """The loop back-propagates each peer's loss on its own; DML used to sum them first."""
    inputs, labels = train_set().inputs[:BATCH], train_set().labels[:BATCH]
    grads = []
    for summed in (True, False):
        peers = [model(0), model(1), model(2)]
        losses = mutual_losses([peer(inputs) for peer in peers], labels, 0.3, 2.0, True)
        if summed:
            sum(total for total, _, _ in losses).backward()
        else:
            for total, _, _ in losses:
                total.backward()
        grads.append([parameter.grad for peer in peers for parameter in peer.parameters()])
    assert all(torch.equal(first, second) for first, second in zip(*grads))


def test_with_mutual_alpha_one_each_peer_trains_exactly_as_alone() -> None:
    """alpha = 1 switches the teaching off: the loop then equals N separate fits."""
    together = [model(0), model(1)]
    run(together, ["student", "peer-2"], mutual_objective(1.0, 3.0))
    for seed, trained in enumerate(together):
        alone = model(seed)
        run([alone], ["student"], cross_entropy_objective)
        state = alone.state_dict()
        assert all(torch.allclose(value, state[key], atol=1e-6)
                   for key, value in trained.state_dict().items())


def test_an_objective_must_return_one_loss_per_model() -> None:
    def one_loss(logits: Sequence[torch.Tensor], batch: Batch) -> list[StepLoss]:
        return [PlainLoss(logits[0].sum())]

    with pytest.raises(ValueError, match="1 losses for 2 models"):
        run([model(0), model(1)], ["student", "peer-2"], one_loss)
    with pytest.raises(ValueError, match="1 phase names for 2 models"):
        run([model(0), model(1)], ["student"], cross_entropy_objective)


def test_a_fit_draws_nothing_from_the_process_generator() -> None:
    """Without dropout the loop's randomness is its own generator (batch order, flips)."""
    peers = [model(0), model(1)]
    before = torch.random.get_rng_state()
    run(peers, ["student", "peer-2"], mutual_objective(0.5, 3.0))
    assert torch.equal(torch.random.get_rng_state(), before)
