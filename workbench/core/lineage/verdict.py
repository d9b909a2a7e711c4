"""From a combined score to a verdict a person can act on, with its false-positive rate.

The null distribution is the references' own combined scores, each from a calibration
fitted without it (leave-one-out), so a reference is never judged by itself. The
threshold is set for a chosen false-positive rate under a normal fit to those scores;
the empirical p-value and the count of references over the threshold come with it,
because with few references the normal fit is an assumption worth seeing through.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from statistics import NormalDist, fmean, stdev

DEFAULT_LEVEL = 0.01
MIN_NULL = 2
LEARNED = "learned from the teacher"
NO_EVIDENCE = "no evidence it learned from the teacher"
INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Decision:
    """The verdict on one combined score against the references' held-out scores."""

    verdict: str
    learned: bool
    p_empirical: float | None
    p_gaussian: float | None
    threshold: float | None
    false_positive_rate: float
    flagged_references: int
    null_count: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def describe(self) -> str:
        """One line: the verdict, its p-value and what a false alarm costs."""
        if self.p_gaussian is None:
            return f"{self.verdict}: too few references for a p-value (need 3 or more)"
        return (f"{self.verdict} (p = {_p(self.p_gaussian)}, empirical p = "
                f"{_p(self.p_empirical)} from {self.null_count} references; the threshold "
                f"flags {self.false_positive_rate:.0%} of independent models, "
                f"{self.flagged_references} of {self.null_count} here)")


def decide(score: float, null_scores: Sequence[float],
           level: float = DEFAULT_LEVEL) -> Decision:
    """Compare ``score`` with the references' held-out scores at false-positive ``level``."""
    if len(null_scores) < MIN_NULL or not math.isfinite(score):
        return Decision(INCONCLUSIVE, False, None, None, None, level, 0, len(null_scores))
    center, spread = fmean(null_scores), max(stdev(null_scores), 1e-12)
    null = NormalDist(center, spread)
    threshold = null.inv_cdf(1.0 - level)
    exceeded = sum(1 for value in null_scores if value >= score)
    p_empirical = (1 + exceeded) / (1 + len(null_scores))
    p_gaussian = 1.0 - null.cdf(score)
    learned = score > threshold
    flagged = sum(1 for value in null_scores if value > threshold)
    return Decision(LEARNED if learned else NO_EVIDENCE, learned, p_empirical, p_gaussian,
                    threshold, level, flagged, len(null_scores))


def _p(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2g}" if value >= 1e-4 else "< 0.0001"
