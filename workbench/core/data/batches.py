"""What a training phase iterates over: rows of in-memory tensors, in seeded order."""
from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch

UNLABELED = -1  # label value of transfer-set images: taught by the teacher alone


@dataclass(frozen=True)
class Progress:
    """Where a step stands in its fit: what schedules and curricula move with.

    Attributes:
        step: optimizer steps done before this one (0 at the fit's first step).
        total: optimizer steps of the whole fit (epochs x steps per epoch).
        steps_per_epoch: optimizer steps of one epoch.
    """

    step: int = 0
    total: int = 1
    steps_per_epoch: int = 1

    @property
    def fraction(self) -> float:
        """0 at the first step, 1 at the last: a schedule reaches its end value."""
        return min(1.0, self.step / max(self.total - 1, 1))

    @property
    def epoch(self) -> int:
        """The epoch this step belongs to, from 1."""
        return self.step // max(self.steps_per_epoch, 1) + 1

    def later(self, steps: int) -> Progress:
        """The step ``steps`` after this one, in the same fit."""
        return Progress(self.step + steps, self.total, self.steps_per_epoch)


@dataclass(frozen=True)
class Batch:
    """One step's tensors; ``fully_labeled`` lets losses skip masking (no sync needed).

    ``positions`` are the rows' positions in the train set (what a curriculum tracks);
    ``progress`` says where the step stands in its fit.
    """

    inputs: torch.Tensor
    labels: torch.Tensor
    extras: Mapping[str, torch.Tensor]
    fully_labeled: bool = True
    positions: torch.Tensor | None = None
    progress: Progress = field(default_factory=Progress)


@dataclass(frozen=True)
class StepsAhead:
    """The rows of several upcoming steps, gathered together before the first of them.

    What an objective's ``prepare`` reads to make its per-row inputs for all of them at
    once (the teacher's side at each step's T): a few kernels over thousands of rows
    instead of the same kernels over one batch at every step.

    Attributes:
        labels, extras: per row, the steps' rows one step after the other.
        fully_labeled: as the train set's.
        progress: each step's ``Progress``.
        sizes: each step's row count.
    """

    labels: torch.Tensor
    extras: Mapping[str, torch.Tensor]
    fully_labeled: bool
    progress: list[Progress]
    sizes: list[int]

    def per_row(self, values: list[float]) -> torch.Tensor:
        """One value per step as a float32 column, repeated over the step's rows."""
        column = torch.tensor(values, dtype=torch.float32, device=self.labels.device)
        sizes = torch.tensor(self.sizes, device=self.labels.device)
        return column.repeat_interleave(sizes, output_size=sum(self.sizes)).unsqueeze(1)


class BatchSampler(Protocol):
    """Chooses each step's positions instead of one shuffled pass (a curriculum).

    The step budget stays the loop's: ``epoch`` yields exactly ``steps`` batches.
    """

    def epoch(self, batch_size: int, steps: int, first: Progress,
              generator: torch.Generator) -> Iterator[torch.Tensor]:
        """Positions of each batch of the epoch whose first step is ``first``."""

    def fixed_steps(self, steps: int) -> int:
        """How many consecutive steps (from the epoch's first) have their positions fixed
        once the first of them is drawn: what may be read ahead without changing them."""

    def metrics(self, progress: Progress) -> dict[str, float]:
        """Plain values for the epoch event (e.g. the eligible share of the data)."""

    def state(self) -> dict[str, Any]:
        """What a resumed fit needs to choose the same batches (tensors, numbers)."""

    def load_state(self, state: dict[str, Any]) -> None:
        """Continue from ``state()``."""


@dataclass(frozen=True)
class TrainSet:
    """``rows`` of ``inputs``/``labels`` (and per-row ``extras`` such as teacher targets)."""

    inputs: torch.Tensor
    labels: torch.Tensor
    rows: torch.Tensor
    extras: Mapping[str, torch.Tensor] = field(default_factory=dict)
    sampler: BatchSampler | None = None  # None: one seeded shuffle per epoch

    fully_labeled: bool = field(init=False)

    def __post_init__(self) -> None:
        labeled = bool((self.labels[self.rows] >= 0).all()) if len(self) else True
        object.__setattr__(self, "fully_labeled", labeled)

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    def take(self, positions: torch.Tensor, progress: Progress | None = None,
             prepared: Mapping[str, torch.Tensor] | None = None) -> Batch:
        """The batch at ``positions``; ``prepared`` adds per-row extras made ahead for it."""
        rows, extras = self.rows_and_extras(positions)
        # index_select copies whole rows: ~5x faster than advanced indexing on images
        return Batch(self.inputs.index_select(0, rows), self.labels.index_select(0, rows),
                     {**extras, **(prepared or {})}, self.fully_labeled, positions,
                     progress or Progress())

    def rows_and_extras(self, positions: torch.Tensor
                        ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The dataset rows at ``positions`` and their extras."""
        rows = self.rows.index_select(0, positions)
        return rows, {name: tensor.index_select(0, rows) for name, tensor in self.extras.items()}

    def ahead(self, block: list[torch.Tensor], first: Progress) -> StepsAhead:
        """The rows of the steps ``block`` (their positions), the first at ``first``."""
        rows, extras = self.rows_and_extras(torch.cat(block).to(self.rows.device))
        return StepsAhead(self.labels.index_select(0, rows), extras, self.fully_labeled,
                          [first.later(index) for index in range(len(block))],
                          [int(positions.shape[0]) for positions in block])

    def fixed_steps(self, steps: int) -> int:
        """Consecutive steps whose positions are drawn together (see ``BatchSampler``)."""
        return steps if self.sampler is None else self.sampler.fixed_steps(steps)

    def positions(self, batch_size: int, steps: int, first: Progress,
                  generator: torch.Generator) -> Iterator[torch.Tensor]:
        """One epoch's batches: the sampler's, or seeded shuffled passes."""
        if self.sampler is not None:
            return self.sampler.epoch(batch_size, steps, first, generator)
        return epoch_positions(len(self), batch_size, generator, steps)


def natural_steps(count: int, batch_size: int) -> int:
    return max(1, math.ceil(count / batch_size))


def epoch_positions(count: int, batch_size: int, generator: torch.Generator,
                    steps: int | None = None) -> Iterator[torch.Tensor]:
    """Positions of each batch of one epoch.

    With ``steps`` equal to the natural number of steps (or None) this is one
    shuffled pass. Otherwise passes are chained so a small labeled set gets as
    many optimizer steps as a larger one (a fair, same-budget baseline).
    """
    natural = natural_steps(count, batch_size)
    if steps is None or steps == natural:
        order = torch.randperm(count, generator=generator)
        yield from order.split(batch_size)
        return
    passes = math.ceil(steps * batch_size / count)
    order = torch.cat([torch.randperm(count, generator=generator) for _ in range(passes)])
    for step in range(steps):
        yield order[step * batch_size:(step + 1) * batch_size]
