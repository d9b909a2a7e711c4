"""Raw similarity means nothing without a baseline: judge each metric against references.

References are models that did not learn from the teacher. Each metric becomes a
z-score against them. Which way a metric points, and how much it counts, is learned
rather than assumed: a student distilled at alpha = 0.3 can match the teacher's
softened outputs far better than independent models while agreeing *less* often on
top-1 answers. With known distilled students the combined score is a diagonal Fisher
discriminant (weight = mean shift / pooled variance, in z units); without them it is
the root-mean-square z, which flags a departure from the references in any direction.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from workbench.core.lineage.probe import LineageError

MIN_REFERENCES = 2
STD_FLOOR = 1e-9

Values = Mapping[str, float]


@dataclass(frozen=True)
class Calibration:
    """What the references (and known distilled students) taught about each metric."""

    metrics: tuple[str, ...]
    reference_mean: dict[str, float]
    reference_std: dict[str, float]
    weights: dict[str, float]  # signed, in z units; empty when undirected
    directed: bool

    def z_scores(self, values: Values) -> dict[str, float]:
        return {name: (values[name] - self.reference_mean[name]) / self.reference_std[name]
                for name in self.metrics}

    def score(self, values: Values) -> float:
        """Higher = less like the references (and, when directed, more like the students)."""
        z = self.z_scores(values)
        if not self.directed:
            return math.sqrt(sum(value * value for value in z.values()) / len(z))
        norm = math.sqrt(sum(weight * weight for weight in self.weights.values())) or 1.0
        return sum(self.weights[name] * z[name] for name in self.metrics) / norm

    def oriented(self, values: Values) -> dict[str, float]:
        """Each z-score signed so that higher means "more like a distilled student"."""
        z = self.z_scores(values)
        return {name: z[name] * (1.0 if self.weights.get(name, 1.0) >= 0 else -1.0)
                for name in self.metrics}


def usable_metrics(names: Sequence[str], *groups: Sequence[Values]) -> tuple[str, ...]:
    """The metrics finite for every model given (an undefined metric cannot be judged)."""
    return tuple(name for name in names
                 if all(math.isfinite(values[name]) for group in groups for values in group))


def fit_calibration(metrics: Sequence[str], references: Sequence[Values],
                    distilled: Sequence[Values] = ()) -> Calibration:
    """z-scores from ``references``; directions and weights from ``distilled`` if any.

    Raises:
        LineageError: fewer than two references (no spread to judge against).
    """
    if len(references) < MIN_REFERENCES:
        raise LineageError(f"{len(references)} reference model(s): give at least "
                           f"{MIN_REFERENCES} (5 or more for a useful p-value) with "
                           "--references, or train them with --train-references K")
    table = _table(metrics, references)
    mean = dict(zip(metrics, table.mean(axis=0)))
    spread = np.maximum(table.std(axis=0, ddof=1), STD_FLOOR * (1 + np.abs(table.mean(axis=0))))
    std = dict(zip(metrics, spread))
    calibration = Calibration(tuple(metrics), _floats(mean), _floats(std), {}, False)
    if not distilled:
        return calibration
    weights = _fisher_weights(calibration, references, distilled)
    return Calibration(tuple(metrics), _floats(mean), _floats(std), weights, True)


def _fisher_weights(calibration: Calibration, references: Sequence[Values],
                    distilled: Sequence[Values]) -> dict[str, float]:
    """Mean shift of the distilled students over the pooled variance, per metric (z units)."""
    names = calibration.metrics
    reference_z = _table(names, [calibration.z_scores(values) for values in references])
    distilled_z = _table(names, [calibration.z_scores(values) for values in distilled])
    shift = distilled_z.mean(axis=0) - reference_z.mean(axis=0)
    squares = ((reference_z - reference_z.mean(axis=0)) ** 2).sum(axis=0)
    squares += ((distilled_z - distilled_z.mean(axis=0)) ** 2).sum(axis=0)
    freedom = max(1, len(references) + len(distilled) - 2)
    pooled = np.maximum(squares / freedom, 1e-6)
    return {name: float(weight) for name, weight in zip(names, shift / pooled)}


def held_out_calibrations(metrics: Sequence[str], held_out: Sequence[Values],
                          references: Sequence[Values], distilled: Sequence[Values],
                          held_out_is_reference: bool) -> list[Calibration]:
    """For each model of ``held_out``, a calibration fitted without it.

    ``held_out`` is ``references`` or ``distilled`` itself (say which): model i is
    left out of its own group, so no model is judged by a calibration that saw it.
    Empty when leaving one out would change the kind of score (a lone distilled student)
    or leave too few references.
    """
    if held_out_is_reference and len(references) <= MIN_REFERENCES:
        return []
    if not held_out_is_reference and len(distilled) < 2:
        return []
    calibrations = []
    for index in range(len(held_out)):
        rest = [other for position, other in enumerate(held_out) if position != index]
        if held_out_is_reference:
            calibrations.append(fit_calibration(metrics, rest, distilled))
        else:
            calibrations.append(fit_calibration(metrics, references, rest))
    return calibrations


def held_out_scores(metrics: Sequence[str], held_out: Sequence[Values],
                    references: Sequence[Values], distilled: Sequence[Values],
                    held_out_is_reference: bool) -> list[float]:
    """Each model's combined score from the calibration fitted without it."""
    calibrations = held_out_calibrations(metrics, held_out, references, distilled,
                                         held_out_is_reference)
    return [calibration.score(values) for calibration, values in zip(calibrations, held_out)]


def _table(names: Sequence[str], rows: Sequence[Values]) -> np.ndarray:
    return np.array([[float(values[name]) for name in names] for values in rows], dtype=float)


def _floats(values: Mapping[str, float]) -> dict[str, float]:
    return {name: float(value) for name, value in values.items()}
