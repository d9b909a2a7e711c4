"""Repeated runs: runs of one configuration that differ only in their seed.

Grouped so the Runs tab can draw one mean ± std band per configuration and
Compare can add mean ± std rows; a single seed says nothing about noise.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workbench.core.measure import tables
from workbench.core.measure.report import COLUMNS, summary_rows
from workbench.core.presets.diff import differing_values, flatten
from workbench.core.sweep.stats import MeanStd, mean_std

# Keys that never make two runs different configurations: words about a run, its
# seed, and how many threads ran it (a sweep worker records its share of the cores).
NOT_CONFIGURATION = frozenset({"name", "description", "train.seed", "train.threads"})
SPREAD_COLUMNS = ("accuracy", "latency_ms", "throughput", "retention", "speedup")


def configuration_key(config: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """A hashable identity of a run's settings, its seed left out."""
    flat = flatten(config)
    return tuple(sorted((key, repr(value)) for key, value in flat.items()
                        if key not in NOT_CONFIGURATION))


def group_repeats(configs: Sequence[Mapping[str, Any]]) -> list[list[int]]:
    """Indices of ``configs`` grouped by configuration, in order of first appearance.

    An empty config (an unreadable run folder) is never grouped with another.
    """
    groups: dict[Any, list[int]] = {}
    for index, config in enumerate(configs):
        key = configuration_key(config) if config else ("unreadable", index)
        groups.setdefault(key, []).append(index)
    return list(groups.values())


def group_labels(configs: Sequence[Mapping[str, Any]], groups: Sequence[Sequence[int]]) -> list[str]:
    """What sets each group apart from the others (``alpha=0.1 temperature=4``), for legends.

    Empty strings when there is one group, or nothing but words tells them apart.
    """
    firsts = [configs[group[0]] for group in groups]
    differing = [(key, values) for key, values in differing_values(firsts)
                 if key not in NOT_CONFIGURATION] if len(firsts) > 1 else []
    return [" ".join(f"{key.rsplit('.', 1)[-1]}={values[index]}" for key, values in differing)
            for index in range(len(groups))]


@dataclass(frozen=True)
class Band:
    """Mean ± sample std of several runs' curves at each epoch some of them recorded."""

    epochs: tuple[float, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]  # 0.0 where only one run reached that epoch
    n: tuple[int, ...]  # runs that recorded each epoch

    @property
    def lower(self) -> tuple[float, ...]:
        return tuple(m - s for m, s in zip(self.mean, self.std))

    @property
    def upper(self) -> tuple[float, ...]:
        return tuple(m + s for m, s in zip(self.mean, self.std))


def curve_band(curves: Sequence[tuple[Sequence[float], Sequence[float]]]) -> Band:
    """The band of ``(epochs, values)`` curves: at each epoch, over the runs that have it.

    A run that stopped early counts only for the epochs it reached (``n`` says how many).
    """
    by_epoch: dict[float, list[float]] = {}
    for epochs, values in curves:
        for epoch, value in zip(epochs, values):
            if value is not None and math.isfinite(float(value)):
                by_epoch.setdefault(float(epoch), []).append(float(value))
    points = [(epoch, mean_std(by_epoch[epoch])) for epoch in sorted(by_epoch)]
    return Band(tuple(epoch for epoch, _ in points),
                tuple(float(stat.mean or 0.0) for _, stat in points),
                tuple(float(stat.std or 0.0) for _, stat in points),
                tuple(stat.n for _, stat in points))


def repeat_rows(summaries: Sequence[Mapping[str, Any]],
                configs: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """Compare's extra rows: for each configuration with 2+ seeds, each model's mean ± std.

    Cells follow ``report.COLUMNS`` after a first "n seeds" cell; figures that do
    not vary between seeds by construction (params, size, compression) show the value.
    """
    rows: list[list[str]] = []
    for group in group_repeats(configs):
        if len(group) < 2:
            continue
        per_run = [{row["model"]: row for row in summary_rows(summaries[i])} for i in group]
        models = [model for model in per_run[0] if all(model in run for run in per_run)]
        for model in models:
            cells = [_cell(column, [run[model].get(column) for run in per_run])
                     for column in COLUMNS[1:]]
            rows.append([f"{len(group)} seeds", model, *cells])
    return rows


def _cell(column: str, values: list[Any]) -> str:
    if column not in SPREAD_COLUMNS:
        return tables.format_value(column, values[0])
    stat = mean_std(values)
    return spread_text(column, stat)


def spread_text(column: str, stat: MeanStd) -> str:
    """``87.61% ± 0.12`` (the std in the mean's unit, without repeating it)."""
    if stat.mean is None:
        return "-"
    text = tables.format_value(column, stat.mean)
    if stat.std is None:
        return text
    scaled = 100 * stat.std if column in ("accuracy", "retention") else stat.std
    digits = 3 if column.startswith("latency") else (0 if column == "throughput" else 2)
    return f"{text} ± {scaled:.{digits}f} (n={stat.n})"
