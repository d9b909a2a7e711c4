"""Accuracy-vs-latency points of past runs, one dataset at a time.

Accuracies on different test sets cannot be compared, so Compare's scatter and its
Pareto front only ever join models measured on the same dataset.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


class _Run(Protocol):
    run_id: str
    name: str
    status: str
    summary: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ModelPoint:
    """One model of one completed run: where it sits and what its hover text says."""

    run_id: str
    run_name: str
    model: str
    accuracy: float
    latency_ms: float
    params: int | None

    def describe(self) -> str:
        params = "-" if self.params is None else f"{self.params:,}"
        return (f"{self.run_name} · run {self.run_id}\n{self.model}\n"
                f"accuracy {100 * self.accuracy:.2f}%\nlatency {self.latency_ms:.3f} ms\n"
                f"params {params}")


def dataset_name(summary: Mapping[str, Any]) -> str:
    """The dataset a run was tested on ("unknown" for runs that did not record it)."""
    dataset = summary.get("dataset")
    if isinstance(dataset, Mapping):
        dataset = dataset.get("name")
    return str(dataset) if dataset else "unknown"


def points_by_dataset(runs: Iterable[_Run]) -> dict[str, list[ModelPoint]]:
    """Every model (int8, peers and generations included) of every completed run, by dataset."""
    grouped: dict[str, list[ModelPoint]] = {}
    for run in runs:
        if run.status != "completed":
            continue
        for model, figures in (run.summary.get("models") or {}).items():
            figures = figures or {}
            latency, accuracy = figures.get("latency_ms"), figures.get("accuracy")
            if not latency or accuracy is None:
                continue
            point = ModelPoint(run.run_id, run.name, model, float(accuracy), float(latency),
                               figures.get("params"))
            grouped.setdefault(dataset_name(run.summary), []).append(point)
    return grouped
