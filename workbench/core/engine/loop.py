"""The training loop: one phase per model, N models fitted together, emitting events.

One model (a teacher, a student, a baseline) is the N = 1 case; online distillation
fits N peers on the same batches. Either way the objective sees every model's logits
and the batch, and returns one loss per model: augmentation, the step budget, the
NaN check, the metrics and the events are the same for every model.

No global state: everything a step needs is passed in, so several loops can run
in separate threads (the desktop app) or processes (DDP). The batch order and flips
come from the loop's own generator; dropout draws from torch's default one, which
``RunContext.fit`` swaps for the run's own stream (see run_random.py).

A fit can be saved at every epoch end (``on_epoch`` gets a ``LoopState``) and
continued from such a state: the same batches, flips and updates follow, so a
resumed fit ends with the weights an uninterrupted one would have had.

Every batch carries its ``Progress`` (step, total steps), so schedules and curricula
are functions of the step, never counters of their own: a resumed fit sees the same
values. An objective with a ``metrics(progress)`` method (the scheduled alpha and T)
and a train set's sampler (a curriculum) add their values to each epoch's metrics.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from workbench.core.data.batches import Progress, TrainSet, natural_steps
from workbench.core.stream.control import RunControl
from workbench.core.stream.events import (EpochEnded, Event, PhaseEnded, PhaseStarted,
                                          RunPaused, StepEnded, ThreadsChanged)
from workbench.core.engine.distributed import SINGLE_PROCESS, Ranks, Share
from workbench.core.engine.optim import build_optimizer, build_schedule
from workbench.core.engine.steps_ahead import steps_ahead
from workbench.core.engine.thread_guard import ThreadGuard
from workbench.core.engine.train_hits import TrainHits
from workbench.core.distill.step_loss import Objective, StepLoss
from workbench.core.errors import RunFailed
from workbench.core.config.section import Section

Emit = Callable[[Event], None]
Validation = tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class PhaseSpec:
    """How to fit: the recipe, the seed of the batch order, an optional step budget."""

    recipe: Section
    seed: int
    steps_per_epoch: int | None = None
    augment: str = "none"


@dataclass
class FitResult:
    history: list[dict[str, float]] = field(default_factory=list)
    best_val_acc: float | None = None
    best_epoch: int | None = None
    seconds: float = 0.0


def result_to_dict(result: FitResult) -> dict[str, Any]:
    """Plain values only, so a saved state loads with ``torch.load(weights_only=True)``."""
    return {"history": [dict(row) for row in result.history], "best_val_acc": result.best_val_acc,
            "best_epoch": result.best_epoch, "seconds": result.seconds}


def result_from_dict(values: dict[str, Any]) -> FitResult:
    return FitResult([dict(row) for row in values["history"]], values["best_val_acc"],
                     values["best_epoch"], float(values["seconds"]))


@dataclass(frozen=True)
class LoopState:
    """A fit at the end of an epoch: everything needed to continue it exactly.

    Attributes:
        epoch, step: the last finished epoch and the optimizer steps so far.
        models, optimizers, schedules: one ``state_dict`` per model (schedule None if constant).
        generator: the batch-order and flip generator's state.
        results: each model's ``FitResult`` as plain values (history, best epoch).
        sampler: the train set's sampler state (a self-paced curriculum's losses), or None.
    """

    epoch: int
    step: int
    models: list[dict[str, Any]]
    optimizers: list[dict[str, Any]]
    schedules: list[dict[str, Any] | None]
    generator: torch.Tensor
    results: list[dict[str, Any]]
    sampler: dict[str, Any] | None = None


@dataclass(frozen=True)
class Hooks:
    """How a loop talks to the outside: events out, stop/pause in."""

    emit: Emit
    control: RunControl
    ranks: Ranks = SINGLE_PROCESS  # the run's processes under DDP (see distributed.py)
    threads: ThreadGuard = field(default_factory=ThreadGuard)  # watching only when told to

    def checkpoint(self) -> None:
        self.control.checkpoint(on_pause=lambda paused: self.emit(RunPaused(paused)))

    def step_ended(self, phase: str, epoch: int, step: int) -> None:
        """After each step: the thread guard's watch, then a pause or stop asked for."""
        change = self.threads.step_ended()
        if change is not None:
            self.emit(ThreadsChanged(phase, epoch, step, change.before, change.after,
                                     change.best_step_ms, change.slow_step_ms))
        self.checkpoint()


@dataclass
class _Learner:
    """One model of a fit with its own optimizer, schedule and epoch tallies."""

    phase: str
    model: nn.Module
    optimizer: torch.optim.Optimizer
    schedule: torch.optim.lr_scheduler.LRScheduler | None
    result: FitResult = field(default_factory=FitResult)
    loss_sum: float = 0.0
    hits: TrainHits = field(default_factory=TrainHits)


def steps_for(spec: PhaseSpec, train_set: TrainSet) -> int:
    return spec.steps_per_epoch or natural_steps(len(train_set), spec.recipe.batch_size)


def fit(spec: PhaseSpec, phases: Sequence[str], models: Sequence[nn.Module],
        objective: Objective, train_set: TrainSet, val: Validation | None,
        hooks: Hooks, resume: LoopState | None = None,
        on_epoch: Callable[[LoopState], None] | None = None) -> list[FitResult]:
    """Train ``models`` in place on the same batches; model i reports as ``phases[i]``.

    ``resume`` continues a fit saved by ``on_epoch``, which is called at every
    epoch end before that epoch's ``EpochEnded`` is emitted (so an epoch that was
    reported was also saved).

    Raises:
        RunFailed: a model's loss became NaN or infinite.
        RunStopped: the run was stopped (checked after every step).
    """
    if len(phases) != len(models) or not models:
        raise ValueError(f"{len(phases)} phase names for {len(models)} models")
    recipe = spec.recipe
    steps = steps_for(spec, train_set)
    learners = [_learner(phase, model, recipe, recipe.epochs * steps)
                for phase, model in zip(phases, models)]
    generator = torch.Generator().manual_seed(spec.seed)
    first_epoch, step, total = 1, 0, recipe.epochs * steps
    if resume is not None:
        first_epoch, step = _restore(resume, learners, generator, train_set)
    runners = hooks.ranks.wrap([learner.model for learner in learners])  # DDP under torchrun
    for learner in learners:
        hooks.emit(PhaseStarted(learner.phase, recipe.epochs, steps))
    started = time.perf_counter()
    hooks.threads.phase_started()
    for epoch in range(first_epoch, recipe.epochs + 1):
        hooks.threads.epoch_started()
        for learner in learners:
            learner.model.train()
            learner.loss_sum, learner.hits = 0.0, TrainHits()
        first = Progress(step, total, steps)
        drawn = train_set.positions(recipe.batch_size, steps, first, generator)
        for positions, prepared in steps_ahead(objective, train_set, drawn, first):
            share = hooks.ranks.share(positions)  # this rank's part of the global batch
            batch = train_set.take(share.positions.to(train_set.rows.device),
                                   Progress(step, total, steps),
                                   {name: rows[share.part] for name, rows in prepared.items()})
            inputs = _augment(batch.inputs, spec.augment, generator, share)
            logits = [runner(inputs) for runner in runners]
            losses = hooks.ranks.reduced(_checked(objective(logits, batch), len(learners)),
                                         share, hooks.control)
            _update(learners, losses)
            step += 1
            for learner, own_logits, loss in zip(learners, logits, losses):
                _report_step(hooks, spec, learner, epoch, step, loss)
                if share.owned:  # not a row borrowed to keep step with other ranks
                    learner.hits.add(own_logits, batch.labels)
            hooks.step_ended(phases[0], epoch, step)
        taught = _taught_metrics(objective, train_set, Progress(step - 1, total, steps))
        ended = [_epoch_metrics(learner, epoch, steps, val, taught, hooks.ranks)
                 for learner in learners]
        if on_epoch is not None:
            on_epoch(_snapshot(learners, epoch, step, generator, train_set))
        for learner, metrics in zip(learners, ended):
            hooks.emit(EpochEnded(learner.phase, epoch, metrics))
    seconds = time.perf_counter() - started
    for learner in learners:
        learner.result.seconds = seconds
        end_phase(hooks, learner.phase, seconds, best_val_acc=learner.result.best_val_acc,
                  best_epoch=learner.result.best_epoch)
    return [learner.result for learner in learners]


def _learner(phase: str, model: nn.Module, recipe: Section, total_steps: int) -> _Learner:
    optimizer = build_optimizer(model, recipe)
    return _Learner(phase, model, optimizer, build_schedule(optimizer, recipe, total_steps))


def _restore(state: LoopState, learners: Sequence[_Learner], generator: torch.Generator,
             train_set: TrainSet) -> tuple[int, int]:
    """Put a saved fit back in place; returns (first epoch to run, steps so far)."""
    if len(state.models) != len(learners):
        raise ValueError(f"a saved fit of {len(state.models)} models cannot continue "
                         f"a fit of {len(learners)}")
    for learner, model, optimizer, schedule, result in zip(
            learners, state.models, state.optimizers, state.schedules, state.results):
        learner.model.load_state_dict(model)
        learner.optimizer.load_state_dict(optimizer)
        if learner.schedule is not None and schedule is not None:
            learner.schedule.load_state_dict(schedule)
        learner.result = result_from_dict(result)
    generator.set_state(state.generator)
    if train_set.sampler is not None and state.sampler is not None:
        train_set.sampler.load_state(state.sampler)
    return state.epoch + 1, state.step


def _snapshot(learners: Sequence[_Learner], epoch: int, step: int,
              generator: torch.Generator, train_set: TrainSet) -> LoopState:
    return LoopState(epoch, step, [learner.model.state_dict() for learner in learners],
                     [learner.optimizer.state_dict() for learner in learners],
                     [None if learner.schedule is None else learner.schedule.state_dict()
                      for learner in learners],
                     generator.get_state(), [result_to_dict(learner.result)
                                             for learner in learners],
                     None if train_set.sampler is None else train_set.sampler.state())


def _taught_metrics(objective: Objective, train_set: TrainSet,
                    progress: Progress) -> dict[str, float]:
    """The objective's scheduled values and the sampler's share at ``progress``."""
    values: dict[str, float] = {}
    reported = getattr(objective, "metrics", None)
    if callable(reported):
        values.update(reported(progress))
    if train_set.sampler is not None:
        values.update(train_set.sampler.metrics(progress))
    return values


def _epoch_metrics(learner: _Learner, epoch: int, steps: int, val: Validation | None,
                   taught: dict[str, float], ranks: Ranks = SINGLE_PROCESS) -> dict[str, float]:
    metrics = {"train_loss": learner.loss_sum / steps,
               "lr": learner.optimizer.param_groups[0]["lr"], **taught}
    correct, labeled = ranks.summed(learner.hits.counts())  # every rank's rows
    record_epoch(epoch, learner.model, learner.result, metrics, correct, labeled, val)
    return metrics


def _checked(losses: Sequence[StepLoss], models: int) -> Sequence[StepLoss]:
    if len(losses) != models:
        raise ValueError(f"the objective returned {len(losses)} losses for {models} models")
    return losses


def _update(learners: Sequence[_Learner], losses: Sequence[StepLoss]) -> None:
    """One optimizer step per model; each loss reaches its own model's parameters only."""
    for learner in learners:
        learner.optimizer.zero_grad(set_to_none=True)
    for loss in losses:
        loss.backward()
    for learner in learners:
        learner.optimizer.step()
        if learner.schedule is not None:
            learner.schedule.step()


def _report_step(hooks: Hooks, spec: PhaseSpec, learner: _Learner, epoch: int, step: int,
                 loss: StepLoss) -> None:
    total, hard, soft = loss.values()
    if not math.isfinite(total):
        raise RunFailed(_diverged_message(learner.phase, spec, epoch, step, total))
    hooks.emit(StepEnded(learner.phase, epoch, step, total, hard, soft))
    learner.loss_sum += total


def record_epoch(epoch: int, model: nn.Module, result: FitResult, metrics: dict[str, float],
                 correct: int, labeled: int, val: Validation | None) -> None:
    """Add train/val accuracy to ``metrics``, track the best epoch, keep it in the history."""
    if labeled:
        metrics["train_acc"] = correct / labeled
    if val is not None and val[0].shape[0]:
        metrics["val_loss"], metrics["val_acc"] = evaluate(model, *val)
        if result.best_val_acc is None or metrics["val_acc"] > result.best_val_acc:
            result.best_val_acc, result.best_epoch = metrics["val_acc"], epoch
    result.history.append(metrics)


def end_phase(hooks: Hooks, phase: str, seconds: float, **metrics: object) -> None:
    hooks.emit(PhaseEnded(phase, seconds, metrics))


def _augment(inputs: torch.Tensor, augment: str, generator: torch.Generator,
             share: Share | None = None) -> torch.Tensor:
    """Flips drawn for the whole global batch, this rank keeping its part's: every
    rank's generator (the next epoch's order) stays where one process's would."""
    if augment != "flip":
        return inputs
    draws = torch.rand(inputs.shape[0] if share is None else share.rows, generator=generator)
    flip = ((draws if share is None else draws[share.part]) < 0.5).to(inputs.device)
    return torch.where(flip.view(-1, 1, 1, 1), inputs.flip(3), inputs)


def _diverged_message(phase: str, spec: PhaseSpec, epoch: int, step: int, loss: float) -> str:
    return (f"the {phase} loss became {loss} at epoch {epoch}, step {step}. "
            f"Try a lower learning rate (lr is {spec.recipe.lr:g}), a lower temperature, "
            "or the 'cosine' schedule")


PREDICT_BATCH = 1024


@torch.inference_mode()
def predict(model: nn.Module, inputs: torch.Tensor, batch_size: int = PREDICT_BATCH,
            on_batch: Callable[[], None] | None = None) -> torch.Tensor:
    """Logits for ``inputs`` in eval mode, batched to bound memory; ``on_batch`` after each."""
    model.eval()
    outputs = []
    for chunk in inputs.split(batch_size):
        outputs.append(model(chunk))
        if on_batch is not None:
            on_batch()
    return torch.cat(outputs) if outputs else torch.zeros(0)


def evaluate(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """(cross-entropy, accuracy) of ``model`` on labeled inputs."""
    logits = predict(model, inputs)
    loss = F.cross_entropy(logits, labels).item()
    accuracy = (logits.argmax(1) == labels).float().mean().item()
    return loss, accuracy
