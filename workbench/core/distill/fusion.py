"""Several teachers made one: their outputs fused per image into one set of logits.

``mean`` weighs every teacher alike; ``confidence`` weighs teacher k on image i by
softmax over teachers of ``-CE(teacher_k(i), label_i)`` — the teacher that is surer
of the right answer teaches that image more (as in confidence-aware multi-teacher KD,
Zhang et al. 2022). Images without a label (the transfer set, the test set) get the
mean: there is nothing to be confident about.

Logits, not probabilities, are fused: the weighted mean of each teacher's
log-softmax. A shift per row does not change a softmax, so this is the weighted
mean of the logits themselves, and the result is one set of logits that every
consumer downstream softens at its own temperature (a T schedule, DKD, the
curriculum's teacher loss) exactly as it would one teacher's. Averaging
probabilities instead would tie the fused target to one temperature chosen
before the student's loss is known. Log-softmax rather than raw logits keeps a
teacher whose logits carry a large constant offset from outweighing the others.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from workbench.core.config.params import Param

FUSIONS = ("mean", "confidence")

FUSION = Param("fusion", "str", "mean", "how several teachers' outputs become one target: "
               "their mean, or per image weighted by each teacher's confidence in the label "
               "(softmax of -CE; the mean where an image has no label)", choices=FUSIONS)


def fusion_weights(member_logits: Sequence[torch.Tensor], labels: torch.Tensor | None,
                   fusion: str) -> torch.Tensor:
    """(rows, teachers) weights summing to 1 per row; labels < 0 mean "no label"."""
    if fusion not in FUSIONS:
        raise ValueError(f"unknown fusion {fusion!r} (known: {', '.join(FUSIONS)})")
    rows, teachers = member_logits[0].shape[0], len(member_logits)
    uniform = torch.full((rows, teachers), 1.0 / teachers, device=member_logits[0].device)
    if fusion == "mean" or labels is None:
        return uniform
    targets = labels.clamp(min=0)
    losses = torch.stack([F.cross_entropy(logits.float(), targets, reduction="none")
                          for logits in member_logits], dim=1)
    weights = torch.softmax(-losses, dim=1)
    return torch.where((labels >= 0).unsqueeze(1), weights, uniform)


def fuse(member_logits: Sequence[torch.Tensor], labels: torch.Tensor | None = None,
         fusion: str = "mean") -> torch.Tensor:
    """One set of logits: the weighted mean of the teachers' log-softmax, row by row."""
    if not member_logits:
        raise ValueError("no teacher outputs to fuse")
    weights = fusion_weights(member_logits, labels, fusion)
    log_probs = torch.stack([torch.log_softmax(logits.float(), dim=1)
                             for logits in member_logits], dim=1)
    return (weights.unsqueeze(2) * log_probs).sum(dim=1)
