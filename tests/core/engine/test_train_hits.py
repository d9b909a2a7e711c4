"""Training accuracy counted in bulk equals counting every batch on its own."""
from __future__ import annotations

import pytest
import torch

from workbench.core.engine.train_hits import TrainHits


@pytest.mark.parametrize("flush_rows", [1, 7, 50, 10_000])
def test_counts_match_a_per_batch_count_with_unlabeled_rows(flush_rows: int) -> None:
    generator = torch.Generator().manual_seed(0)
    hits = TrainHits(flush_rows)
    correct = labeled = 0
    for size in (16, 16, 9, 16, 3):
        logits = torch.randn(size, 10, generator=generator, requires_grad=True)
        labels = torch.randint(0, 10, (size,), generator=generator)
        labels[::3] = -1
        labels[1::4] = logits.argmax(1)[1::4]  # some sure hits
        hits.add(logits, labels)
        correct += int((logits.argmax(1) == labels).sum())
        labeled += int((labels >= 0).sum())
    assert hits.counts() == (correct, labeled)
    assert 0 < correct < labeled
    assert hits.counts() == (correct, labeled)  # reading twice counts nothing twice


def test_an_empty_epoch_counts_nothing() -> None:
    assert TrainHits().counts() == (0, 0)
