"""Hiding the teacher's fingerprint: what a distiller may do to the outputs it learns from.

Providers look for distillation by how closely a suspect matches their model's outputs;
distillers answer by blurring those outputs before learning from them. Two ways are
declared as ``distill`` parameters of the offline method:

- ``teacher_noise`` (sigma): Gaussian noise on the teacher's logits (Sau &
  Balasubramanian 2016). Drawn once per image from a fixed seed, so every run on the
  same cached outputs sees the same noise and stays reproducible.
- ``top_k``: keep only the teacher's k most likely classes, renormalised, as many APIs
  return them. The other classes get a very low finite logit (probability 0 at any
  temperature, and no NaN in p log p).
"""
from __future__ import annotations

import torch

NOISE_SEED = 1_000_003  # fixed: the noise belongs to the cached outputs, not to a run
DROPPED = -1e6  # below the row's maximum: exp underflows to 0 at any temperature <= 100
CHUNK = 1024  # rows per seeded block: image i's noise depends on i alone, not on the count


def hide_outputs(teacher_logits: torch.Tensor, noise: float = 0.0,
                 top_k: int = 0) -> torch.Tensor:
    """``teacher_logits`` with noise added (first), then only the top k classes kept
    (``top_k`` 0 keeps all). Returns the input itself when neither defense is on."""
    keep_all = top_k <= 0 or top_k >= teacher_logits.shape[1]
    if noise <= 0.0 and keep_all:
        return teacher_logits
    logits = teacher_logits.float()
    if noise > 0.0:
        logits = logits + noise * image_noise(logits.shape[0], logits.shape[1]).to(logits.device)
    if not keep_all:
        kept = logits.topk(top_k, dim=1).indices
        floor = logits.max(dim=1, keepdim=True).values + DROPPED
        logits = floor.expand_as(logits).clone().scatter(1, kept, logits.gather(1, kept))
    return logits


def image_noise(rows: int, classes: int) -> torch.Tensor:
    """Standard normal draws, one row per image; row i is the same whatever ``rows`` is
    (a run limited to the first N images sees the same noise on them)."""
    blocks = []
    for block in range(-(-rows // CHUNK)):
        generator = torch.Generator().manual_seed(NOISE_SEED + block)
        blocks.append(torch.randn(CHUNK, classes, generator=generator))
    return torch.cat(blocks)[:rows] if blocks else torch.zeros(0, classes)
