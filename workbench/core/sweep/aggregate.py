"""Cell results grouped by configuration: mean ± std over seeds, gain over the plain student."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.core.sweep.cell_run import CellResult
from workbench.core.sweep.grid import Cell
from workbench.core.sweep.stats import MeanStd, mean_std


@dataclass(frozen=True)
class ConfigSummary:
    """One configuration of the grid over all its seeds."""

    values: tuple[tuple[str, str], ...]
    runs: tuple[tuple[int, CellResult], ...]  # (seed, result) for the cells that ended
    student_accuracy: MeanStd
    baseline_accuracy: MeanStd
    gain: MeanStd  # student - baseline, per seed
    retention: MeanStd
    latency_ms: MeanStd

    @property
    def overrides(self) -> list[str]:
        return [f"{key}={value}" for key, value in self.values]

    def to_dict(self) -> dict[str, Any]:
        return {"values": dict(self.values),
                "runs": [{"seed": seed, "run_id": result.run_id, "run_dir": result.run_dir,
                          "status": result.status, "student_accuracy": result.student_accuracy,
                          "baseline_accuracy": result.baseline_accuracy,
                          "threads": result.threads_used} for seed, result in self.runs],
                "student_accuracy": self.student_accuracy.to_dict(),
                "baseline_accuracy": self.baseline_accuracy.to_dict(),
                "gain": self.gain.to_dict(), "retention": self.retention.to_dict(),
                "latency_ms": self.latency_ms.to_dict()}


def summarize(cells: list[Cell], results: dict[str, CellResult]) -> list[ConfigSummary]:
    """One summary per configuration, in grid order; cells without a result are left out."""
    groups: dict[tuple[tuple[str, str], ...], list[tuple[int, CellResult]]] = {}
    for cell in cells:
        runs = groups.setdefault(cell.values, [])
        if cell.cell_id in results:
            runs.append((cell.seed, results[cell.cell_id]))
    return [_summary(values, runs) for values, runs in groups.items()]


def best(summaries: list[ConfigSummary]) -> ConfigSummary | None:
    """The configuration with the highest mean student accuracy (first one on a tie)."""
    measured = [summary for summary in summaries if summary.student_accuracy.mean is not None]
    return max(measured, key=lambda summary: summary.student_accuracy.mean or 0.0, default=None)


def _summary(values: tuple[tuple[str, str], ...],
             runs: list[tuple[int, CellResult]]) -> ConfigSummary:
    done = [result for _, result in runs if result.status == "completed"]
    gains = [None if r.student_accuracy is None or r.baseline_accuracy is None
             else r.student_accuracy - r.baseline_accuracy for r in done]
    return ConfigSummary(values, tuple(runs),
                         mean_std(r.student_accuracy for r in done),
                         mean_std(r.baseline_accuracy for r in done), mean_std(gains),
                         mean_std(r.retention for r in done), mean_std(r.latency_ms for r in done))
