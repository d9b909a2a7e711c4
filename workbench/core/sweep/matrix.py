"""What a sweep heatmap shows: one figure's mean ± std over two swept keys.

With one swept key the map has one row; with more than two, each square shows
the best configuration over the remaining keys (the question a tuner asks:
"how good can this α, T pair get?").
"""
from __future__ import annotations

from dataclasses import dataclass

from workbench.core.sweep.aggregate import ConfigSummary
from workbench.core.sweep.grid import Axis
from workbench.core.sweep.stats import MeanStd

FIGURES = {"student_accuracy": "student accuracy", "gain": "gain over the plain student"}


@dataclass(frozen=True)
class HeatmapSquare:
    figure: MeanStd
    summary: ConfigSummary

    def tooltip(self, title: str, x_key: str, y_key: str | None) -> str:
        """``distill.alpha=0.5, distill.temperature=4: student accuracy 84.31 ± 0.20 (n=3)``."""
        values = dict(self.summary.values)
        where = ", ".join(f"{key}={values[key]}" for key in (x_key, y_key) if key)
        runs = ", ".join(result.run_id or "?" for _, result in self.summary.runs)
        return f"{where}: {title} {self.figure.text(scale=100)} %\nruns: {runs}"


@dataclass(frozen=True)
class HeatmapData:
    x_key: str
    x_values: tuple[str, ...]
    y_key: str | None
    y_values: tuple[str, ...]
    squares: dict[tuple[int, int], HeatmapSquare]  # (column, row) -> what it shows


def heatmap_data(axes: tuple[Axis, ...], summaries: list[ConfigSummary],
                 figure: str) -> HeatmapData:
    """Squares for ``figure`` ("student_accuracy" or "gain") over the first two axes."""
    x_axis = axes[0]
    y_axis = axes[1] if len(axes) > 1 else None
    squares: dict[tuple[int, int], HeatmapSquare] = {}
    for summary in summaries:
        shown: MeanStd = getattr(summary, figure)
        if shown.mean is None:
            continue
        values = dict(summary.values)
        column = x_axis.values.index(values[x_axis.key])
        row = 0 if y_axis is None else y_axis.values.index(values[y_axis.key])
        held = squares.get((column, row))
        if held is None or (held.figure.mean or 0.0) < shown.mean:
            squares[(column, row)] = HeatmapSquare(shown, summary)
    return HeatmapData(x_axis.key, x_axis.values, None if y_axis is None else y_axis.key,
                       ("",) if y_axis is None else y_axis.values, squares)
