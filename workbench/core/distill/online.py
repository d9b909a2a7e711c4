"""Online distillation (deep mutual learning): peers learn together, teaching each other.

No pre-trained teacher is needed: each peer minimises
``alpha * CE(peer, y) + (1 - alpha) * T^2 * mean_j KL(p_j || p_peer)`` over the other peers j.
"""
from __future__ import annotations

from typing import Any

from torch import nn

from workbench.core.distill.offline import KD_PARAMS
from workbench.core.distill.registry import METHODS
from workbench.core.config.params import Param

PARAMS = (Param("peers", "int", 2, "models trained together (the student's architecture, "
                "seeds train.seed, +1, +2...)", minimum=2, maximum=8),) + KD_PARAMS


@METHODS.register("online", params=PARAMS,
                  help="deep mutual learning: peers train together and teach each other")
class OnlineDistillation:
    uses_teacher_cache = False

    def __init__(self, peers: int, alpha: float, temperature: float, **_: Any) -> None:
        self.peers, self.alpha, self.temperature = peers, alpha, temperature

    def phases(self) -> list[str]:
        """Peer 1 (same seed as the baseline) is reported as the student."""
        return ["student"] + [f"peer-{index}" for index in range(2, self.peers + 1)]

    def train(self, context: Any) -> dict[str, nn.Module]:
        names = self.phases()
        models = [context.new_student(seed_offset=index) for index in range(len(names))]
        context.fit_mutual(names, models, self.alpha, self.temperature)
        return dict(zip(names, models))
