"""Online distillation loop: several peers train on the same batches, teaching each other."""
from __future__ import annotations

import math
import time

import torch
from torch import nn

from workbench.core.distill.losses import mutual_losses
from workbench.core.data.batches import TrainSet, epoch_positions
from workbench.core.stream.events import PhaseStarted, StepEnded
from workbench.core.engine.loop import (FitResult, Hooks, PhaseSpec, end_epoch, end_phase,
                                        steps_for)
from workbench.core.engine.optim import build_optimizer, build_schedule
from workbench.core.engine.train_hits import TrainHits
from workbench.core.errors import RunFailed


def fit_mutual(spec: PhaseSpec, phases: list[str], models: list[nn.Module], train_set: TrainSet,
               val: tuple[torch.Tensor, torch.Tensor] | None, hooks: Hooks, alpha: float,
               temperature: float) -> list[FitResult]:
    """Deep mutual learning (Zhang et al., 2018); one phase (and event stream) per peer."""
    recipe = spec.recipe
    steps = steps_for(spec, train_set)
    optimizers = [build_optimizer(model, recipe) for model in models]
    schedules = [build_schedule(optimizer, recipe, recipe.epochs * steps)
                 for optimizer in optimizers]
    generator = torch.Generator().manual_seed(spec.seed)
    for phase in phases:
        hooks.emit(PhaseStarted(phase, recipe.epochs, steps))
    results = [FitResult() for _ in models]
    started, step = time.perf_counter(), 0
    for epoch in range(1, recipe.epochs + 1):
        for model in models:
            model.train()
        loss_sums = [0.0] * len(models)
        hits = [TrainHits() for _ in models]
        for positions in epoch_positions(len(train_set), recipe.batch_size, generator):
            batch = train_set.take(positions.to(train_set.rows.device))
            logits = [model(batch.inputs) for model in models]
            losses = mutual_losses(logits, batch.labels, alpha, temperature, batch.fully_labeled)
            for optimizer in optimizers:
                optimizer.zero_grad(set_to_none=True)
            sum(total for total, _, _ in losses).backward()
            for optimizer, schedule in zip(optimizers, schedules):
                optimizer.step()
                if schedule is not None:
                    schedule.step()
            step += 1
            for peer_hits, peer_logits in zip(hits, logits):
                peer_hits.add(peer_logits, batch.labels)
            for index, (phase, (total, hard, soft)) in enumerate(zip(phases, losses)):
                value = total.item()
                if not math.isfinite(value):
                    raise RunFailed(f"the {phase} loss became {value} at epoch {epoch}, step "
                                    f"{step}. Try a lower learning rate (lr is {recipe.lr:g}) "
                                    "or a lower temperature")
                loss_sums[index] += value
                hooks.emit(StepEnded(phase, epoch, step, value, hard.item(), soft.item()))
            hooks.checkpoint()
        for phase, model, result, loss_sum, peer_hits in zip(phases, models, results, loss_sums,
                                                             hits):
            metrics = {"train_loss": loss_sum / steps}
            end_epoch(hooks, phase, epoch, model, result, metrics, *peer_hits.counts(), val)
    seconds = time.perf_counter() - started
    for phase, result in zip(phases, results):
        result.seconds = seconds
        end_phase(hooks, phase, seconds, best_val_acc=result.best_val_acc,
                  best_epoch=result.best_epoch)
    return results
