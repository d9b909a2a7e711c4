"""Mean ± sample standard deviation over repeats (n - 1 in the denominator)."""
from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class MeanStd:
    mean: float | None
    std: float | None  # sample std; None with fewer than two values
    n: int

    def to_dict(self) -> dict[str, float | int | None]:
        return {"mean": self.mean, "std": self.std, "n": self.n}

    def text(self, scale: float = 1.0, digits: int = 2) -> str:
        """``84.31 ± 0.20 (n=3)``; ``—`` when nothing was measured."""
        if self.mean is None:
            return "—"
        spread = "" if self.std is None else f" ± {self.std * scale:.{digits}f}"
        return f"{self.mean * scale:.{digits}f}{spread} (n={self.n})"


def mean_std(values: Iterable[float | None]) -> MeanStd:
    """Mean and sample std of the finite values (a failed run's None is left out)."""
    finite = [float(value) for value in values
              if value is not None and math.isfinite(float(value))]
    if not finite:
        return MeanStd(None, None, 0)
    std = statistics.stdev(finite) if len(finite) > 1 else None
    return MeanStd(statistics.fmean(finite), std, len(finite))
