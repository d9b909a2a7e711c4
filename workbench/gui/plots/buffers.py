"""Growing, preallocated numpy buffers for live curves (doubling when full)."""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


class GrowingSeries:
    """x/y points appended one by one, with an optional running EMA of y.

    ``dirty`` says whether points arrived since the last ``take_dirty``, so a
    redraw timer calls ``setData`` only when something changed.
    """

    def __init__(self, capacity: int = 1024, smoothing: float = 0.9) -> None:
        self.x = np.empty(capacity, dtype=np.float64)
        self.y = np.empty(capacity, dtype=np.float64)
        self.smooth = np.empty(capacity, dtype=np.float64)
        self.smoothing = smoothing
        self.size = 0
        self.dirty = False
        self._ema: float | None = None

    def append(self, x: float, y: float) -> None:
        self.extend((x,), (y,))

    def extend(self, xs: Sequence[float], ys: Sequence[float]) -> None:
        """Append many points at once (one numpy copy; the EMA runs over plain floats)."""
        count = len(ys)
        if not count:
            return
        while self.size + count > self.x.shape[0]:
            self._grow()
        end = self.size + count
        self.x[self.size:end] = xs
        self.y[self.size:end] = ys
        ema, keep = self._ema, self.smoothing
        smoothed = []
        for value in ys:
            if math.isfinite(value):
                ema = value if ema is None else keep * ema + (1.0 - keep) * value
            smoothed.append(math.nan if ema is None else ema)
        self.smooth[self.size:end] = smoothed
        self._ema, self.size, self.dirty = ema, end, True

    def _grow(self) -> None:
        capacity = self.x.shape[0] * 2
        for name in ("x", "y", "smooth"):
            grown = np.empty(capacity, dtype=np.float64)
            grown[:self.size] = getattr(self, name)[:self.size]
            setattr(self, name, grown)

    def view(self, smoothed: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Views (no copies) of the filled part."""
        values = self.smooth if smoothed else self.y
        return self.x[:self.size], values[:self.size]

    def take_dirty(self) -> bool:
        dirty, self.dirty = self.dirty, False
        return dirty

    def clear(self) -> None:
        self.size, self._ema, self.dirty = 0, None, True
