"""Optimizer and per-step learning-rate schedule from a training recipe."""
from __future__ import annotations

import math

import torch
from torch import nn

from workbench.core.config.section import Section


def build_optimizer(model: nn.Module, recipe: Section) -> torch.optim.Optimizer:
    params = model.parameters()
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(params, lr=recipe.lr, momentum=0.9, nesterov=True,
                               weight_decay=recipe.weight_decay)
    if recipe.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=recipe.lr, weight_decay=recipe.weight_decay)
    return torch.optim.Adam(params, lr=recipe.lr, weight_decay=recipe.weight_decay)


def build_schedule(optimizer: torch.optim.Optimizer, recipe: Section,
                   total_steps: int) -> torch.optim.lr_scheduler.LRScheduler | None:
    """Stepped once per optimizer step; None for a constant rate."""
    if recipe.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe.lr,
                                                   total_steps=max(total_steps, 2))
    if recipe.schedule == "cosine":
        return torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * min(step, total_steps)
                                                        / max(total_steps, 1))))
    return None
