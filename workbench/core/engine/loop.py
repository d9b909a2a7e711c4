"""The training loop: one phase = one model fitted for some epochs, emitting events.

No global state: everything a step needs is passed in, so several loops can run
in separate threads (the desktop app) or processes (DDP).
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from workbench.core.data.batches import Batch, TrainSet, epoch_positions, natural_steps
from workbench.core.stream.control import RunControl
from workbench.core.stream.events import (EpochEnded, Event, PhaseEnded, PhaseStarted,
                                          RunPaused, StepEnded)
from workbench.core.engine.optim import build_optimizer, build_schedule
from workbench.core.engine.train_hits import TrainHits
from workbench.core.distill.losses import hard_loss
from workbench.core.distill.step_loss import PlainLoss, StepLoss
from workbench.core.errors import RunFailed
from workbench.core.config.section import Section

# objective(student_logits, batch) -> the step's loss (backward() and values())
Objective = Callable[[torch.Tensor, Batch], StepLoss]
Emit = Callable[[Event], None]


def cross_entropy_objective(logits: torch.Tensor, batch: Batch) -> StepLoss:
    """Plain supervised training (the same hard loss that KD uses at alpha = 1)."""
    return PlainLoss(hard_loss(logits, batch.labels, batch.fully_labeled))


@dataclass(frozen=True)
class PhaseSpec:
    """What to fit: the phase's name, its recipe and seed, and optional step budget."""

    phase: str
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


@dataclass(frozen=True)
class Hooks:
    """How a loop talks to the outside: events out, stop/pause in."""

    emit: Emit
    control: RunControl

    def checkpoint(self) -> None:
        self.control.checkpoint(on_pause=lambda paused: self.emit(RunPaused(paused)))


def steps_for(spec: PhaseSpec, train_set: TrainSet) -> int:
    return spec.steps_per_epoch or natural_steps(len(train_set), spec.recipe.batch_size)


def fit(spec: PhaseSpec, model: nn.Module, objective: Objective, train_set: TrainSet,
        val: tuple[torch.Tensor, torch.Tensor] | None, hooks: Hooks) -> FitResult:
    """Train ``model`` in place; raise RunFailed on a non-finite loss, RunStopped on stop."""
    recipe = spec.recipe
    steps = steps_for(spec, train_set)
    optimizer = build_optimizer(model, recipe)
    schedule = build_schedule(optimizer, recipe, recipe.epochs * steps)
    generator = torch.Generator().manual_seed(spec.seed)
    hooks.emit(PhaseStarted(spec.phase, recipe.epochs, steps))
    result, started, step = FitResult(), time.perf_counter(), 0
    for epoch in range(1, recipe.epochs + 1):
        model.train()
        loss_sum, hits = 0.0, TrainHits()
        for positions in epoch_positions(len(train_set), recipe.batch_size, generator,
                                         spec.steps_per_epoch):
            batch = train_set.take(positions.to(train_set.rows.device))
            inputs = _augment(batch.inputs, spec.augment, generator)
            logits = model(inputs)
            losses = objective(logits, batch)
            optimizer.zero_grad(set_to_none=True)
            losses.backward()
            optimizer.step()
            if schedule is not None:
                schedule.step()
            step += 1
            loss, hard_value, soft_value = losses.values()
            if not math.isfinite(loss):
                raise RunFailed(_diverged_message(spec, epoch, step, loss))
            hooks.emit(StepEnded(spec.phase, epoch, step, loss, hard_value, soft_value))
            loss_sum += loss
            hits.add(logits, batch.labels)
            hooks.checkpoint()
        metrics = {"train_loss": loss_sum / steps, "lr": optimizer.param_groups[0]["lr"]}
        end_epoch(hooks, spec.phase, epoch, model, result, metrics, *hits.counts(), val)
    result.seconds = time.perf_counter() - started
    end_phase(hooks, spec.phase, result.seconds, best_val_acc=result.best_val_acc,
              best_epoch=result.best_epoch)
    return result


def end_epoch(hooks: Hooks, phase: str, epoch: int, model: nn.Module, result: FitResult,
              metrics: dict[str, float], correct: int, labeled: int,
              val: tuple[torch.Tensor, torch.Tensor] | None) -> None:
    """Add train/val accuracy to ``metrics``, track the best epoch, emit EpochEnded."""
    if labeled:
        metrics["train_acc"] = correct / labeled
    if val is not None and val[0].shape[0]:
        metrics["val_loss"], metrics["val_acc"] = evaluate(model, *val)
        if result.best_val_acc is None or metrics["val_acc"] > result.best_val_acc:
            result.best_val_acc, result.best_epoch = metrics["val_acc"], epoch
    result.history.append(metrics)
    hooks.emit(EpochEnded(phase, epoch, metrics))


def end_phase(hooks: Hooks, phase: str, seconds: float, **metrics: object) -> None:
    hooks.emit(PhaseEnded(phase, seconds, metrics))


def _augment(inputs: torch.Tensor, augment: str, generator: torch.Generator) -> torch.Tensor:
    if augment != "flip":
        return inputs
    flip = (torch.rand(inputs.shape[0], generator=generator) < 0.5).to(inputs.device)
    return torch.where(flip.view(-1, 1, 1, 1), inputs.flip(3), inputs)


def _diverged_message(spec: PhaseSpec, epoch: int, step: int, loss: float) -> str:
    return (f"the {spec.phase} loss became {loss} at epoch {epoch}, step {step}. "
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
