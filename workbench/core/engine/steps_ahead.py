"""Steps read ahead in blocks, so an objective makes their per-row inputs at once.

An objective with a ``prepare`` (KD or DKD with a moving T: the teacher's side at
each step's T) gets the rows of up to ``BLOCK_STEPS`` upcoming steps in one
``StepsAhead`` and returns per-row tensors, which each step's batch then carries.
The same values as making them step by step; a few kernels over thousands of rows
instead of the same kernels over one batch at every step (DKD's teacher parts: about
twenty kernels, ~0.15 ms a step for a 128-row batch on one CPU thread).

A block never reaches past the steps the train set has fixed (``fixed_steps``): a
self-paced curriculum draws its next stretch only after the student's losses on this
one are in, so reading ahead never changes which rows are drawn.
"""
from __future__ import annotations

from collections.abc import Iterator

import torch

from workbench.core.data.batches import Progress, TrainSet

BLOCK_STEPS = 32  # steps prepared together (a few thousand rows)


def blocks(drawn: Iterator[torch.Tensor], fixed: int, size: int) -> Iterator[list[torch.Tensor]]:
    """Consecutive steps' positions in lists of at most ``size``, never across a multiple
    of ``fixed`` (counted from the epoch's first step); nothing is drawn before it is needed."""
    block: list[torch.Tensor] = []
    for index, positions in enumerate(drawn, start=1):
        block.append(positions)
        if len(block) == size or index % fixed == 0:
            yield block
            block = []
    if block:
        yield block


def steps_ahead(objective: object, train_set: TrainSet, drawn: Iterator[torch.Tensor],
                first: Progress) -> Iterator[tuple[torch.Tensor, dict[str, torch.Tensor]]]:
    """Each step's positions with what the objective made ahead for its rows ({} for an
    objective that makes nothing ahead: then steps are drawn one at a time, as before)."""
    prepare = getattr(objective, "prepare", None)
    if not callable(prepare):
        for positions in drawn:
            yield positions, {}
        return
    done = 0
    for block in blocks(drawn, train_set.fixed_steps(first.steps_per_epoch), BLOCK_STEPS):
        ahead = train_set.ahead(block, first.later(done))
        parts = {name: tensor.split(ahead.sizes) for name, tensor in prepare(ahead).items()}
        for index, positions in enumerate(block):
            yield positions, {name: split[index] for name, split in parts.items()}
        done += len(block)
