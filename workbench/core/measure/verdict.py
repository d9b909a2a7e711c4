"""One line that says what a run achieved: the distilled student against the baseline.

The window and ``workbench run`` end with it, so nobody has to read a table to learn
whether distillation helped.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workbench.core.measure.figures import ratios

TIE_POINTS = 0.1  # accuracy differences under this many points read as "matches"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _comparison(student: float, baseline: float | None) -> str:
    if baseline is None:
        return f"Distilled student {100 * student:.2f}% (no baseline trained)"
    points = 100 * (student - baseline)
    if abs(points) < TIE_POINTS:
        how = "matches the baseline"
    elif points > 0:
        how = f"beats the baseline by {points:.2f} points"
    else:
        how = f"scores {-points:.2f} points below the baseline"
    return f"Distilled student {100 * student:.2f}% {how} ({100 * baseline:.2f}%)"


def verdict(summary: Mapping[str, Any]) -> str | None:
    """``Distilled student 84.10% beats the baseline by 1.20 points (82.90%) · keeps 95.0%
    of the teacher's accuracy · 12.3x smaller · 33.6x faster``; None without a student."""
    models = summary.get("models") or {}
    student = _number((models.get("student") or {}).get("accuracy"))
    if student is None:
        return None
    baseline = _number((models.get("baseline") or {}).get("accuracy"))
    parts = [_comparison(student, baseline)]
    relative = ratios(models)
    for key, text in (("retention", "keeps {:.1%} of the teacher's accuracy"),
                      ("compression", "{:.1f}x smaller"), ("speedup", "{:.1f}x faster")):
        value = _number(relative.get(key))
        if value is not None:
            parts.append(text.format(value))
    return " · ".join(parts)
