"""ROC curve and area for "distilled vs independent" scores (higher = more likely distilled)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def roc_auc(negatives: Sequence[float], positives: Sequence[float]) -> float:
    """P(a positive scores above a negative), ties counting half (Mann-Whitney U / n m)."""
    if not negatives or not positives:
        return float("nan")
    negative, positive = np.asarray(negatives, float), np.asarray(positives, float)
    above = (positive[:, None] > negative[None, :]).sum()
    ties = (positive[:, None] == negative[None, :]).sum()
    return float((above + 0.5 * ties) / (positive.size * negative.size))


def roc_curve(negatives: Sequence[float],
              positives: Sequence[float]) -> list[tuple[float, float]]:
    """(false-positive rate, true-positive rate) at every threshold, from (0, 0) to (1, 1)."""
    if not negatives or not positives:
        return []
    thresholds = sorted(set(negatives) | set(positives), reverse=True)
    points = [(0.0, 0.0)]
    for threshold in thresholds:
        false_rate = sum(value >= threshold for value in negatives) / len(negatives)
        true_rate = sum(value >= threshold for value in positives) / len(positives)
        points.append((false_rate, true_rate))
    return points
