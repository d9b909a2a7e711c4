"""model_figures times the model with the preset's own latency settings, not shifted ones."""
from __future__ import annotations

import torch
from torch import nn

from workbench.core.measure.figures import model_figures


class CountingModel(nn.Module):
    """A tiny linear model that counts its batch-1 forward calls."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 2)
        self.batch_one_calls = 0

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.shape[0] == 1:
            self.batch_one_calls += 1
        return self.linear(inputs.flatten(1))


def calls_with(repeats: int, warmup: int) -> int:
    torch.manual_seed(0)
    model = CountingModel()
    settings = {"latency_repeats": repeats, "warmup": warmup, "throughput_batch": 8,
                "threads": 1}
    model_figures(model, 0.5, (1, 2, 2), settings)
    return model.batch_one_calls


def test_latency_repeats_and_warmup_each_add_their_own_calls() -> None:
    base = calls_with(repeats=3, warmup=2)
    assert calls_with(repeats=7, warmup=2) - base == 4   # repeats are timed calls
    assert calls_with(repeats=3, warmup=5) - base == 3   # warm-up calls come on top
