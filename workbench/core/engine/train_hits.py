"""Training accuracy over an epoch, counted in bulk rather than per step.

A per-step argmax/compare/sum costs more than the rest of the loop's bookkeeping
on a small model, so the step only keeps a reference to its (detached) logits and
labels; they are scored together every ``flush_rows`` rows and at the epoch's end.
"""
from __future__ import annotations

import torch

FLUSH_ROWS = 65536  # bounds the logits kept alive (a few MB for 10 classes)


class TrainHits:
    """Correct and labeled counts; unlabeled rows (label -1) never equal an argmax."""

    def __init__(self, flush_rows: int = FLUSH_ROWS) -> None:
        self._logits: list[torch.Tensor] = []
        self._labels: list[torch.Tensor] = []
        self._rows = 0
        self._flush_rows = flush_rows
        self.correct = 0
        self.labeled = 0

    def add(self, logits: torch.Tensor, labels: torch.Tensor) -> None:
        self._logits.append(logits.detach())
        self._labels.append(labels)
        self._rows += labels.shape[0]
        if self._rows >= self._flush_rows:
            self._flush()

    def counts(self) -> tuple[int, int]:
        """(correct, labeled) so far."""
        self._flush()
        return self.correct, self.labeled

    def _flush(self) -> None:
        if not self._labels:
            return
        labels = torch.cat(self._labels)
        predicted = torch.cat(self._logits).argmax(1)
        self.correct += int((predicted == labels).sum())
        self.labeled += int((labels >= 0).sum())
        self._logits.clear()
        self._labels.clear()
        self._rows = 0
