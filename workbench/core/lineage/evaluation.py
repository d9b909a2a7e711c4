"""How well detection works: ROC-AUC of every metric and of the combined score.

K students distilled from a preset's teacher and K independent ones (its labels-only
baselines) are each scored by a calibration fitted *without* them (leave-one-out), so
no score comes from a detector that saw the model it judges. A defense (teacher noise,
top-k outputs) is judged twice: by the detector fitted on undefended students (the
distiller hid; the detector did not know how) and by one refitted on defended students.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import fmean
from typing import Any

import torch

from workbench.core.lineage.calibration import (fit_calibration, held_out_calibrations,
                                                usable_metrics)
from workbench.core.lineage.metrics import HIGH_TEMPERATURE, METRIC_NAMES, accuracy, pair_metrics
from workbench.core.lineage.probe import Probe
from workbench.core.lineage.roc import roc_auc, roc_curve
from workbench.core.lineage.subjects import Subject, probe_logits, resolve_subject

COMBINED = "combined"
Values = Mapping[str, float]


@dataclass(frozen=True)
class ScoredModel:
    """One evaluated model: its metrics and its held-out scores."""

    kind: str  # "distilled" | "independent"
    seed: int
    accuracy: float
    metrics: dict[str, float]
    score: float
    oriented: dict[str, float]  # z per metric, signed so higher = more like distilled


@dataclass(frozen=True)
class Evaluation:
    """ROC-AUC per metric and combined, for one preset (and one defense, if any)."""

    preset: str
    defense: str
    students: int
    probe: str
    probe_size: int
    teacher_accuracy: float
    models: tuple[ScoredModel, ...]
    auc: dict[str, float]
    roc: dict[str, list[tuple[float, float]]]
    adapted_auc: float | None = None  # combined AUC of a detector refitted on this defense
    any_direction_auc: float | None = None  # AUC of "unlike the independent models" alone

    def mean_accuracy(self, kind: str) -> float:
        values = [model.accuracy for model in self.models if model.kind == kind]
        return fmean(values) if values else float("nan")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["distilled_accuracy"] = self.mean_accuracy("distilled")
        data["independent_accuracy"] = self.mean_accuracy("independent")
        return data


@dataclass(frozen=True)
class Measured:
    """A model's metrics against the teacher, with its seed and accuracy."""

    seed: int
    accuracy: float
    metrics: dict[str, float]


def score_held_out(distilled: Sequence[Measured], independent: Sequence[Measured]
                   ) -> tuple[tuple[str, ...], list[ScoredModel]]:
    """Leave-one-out scores of every model (needs 2+ distilled and 3+ independent)."""
    metrics = usable_metrics(METRIC_NAMES, [m.metrics for m in distilled],
                             [m.metrics for m in independent])
    positives, negatives = [m.metrics for m in distilled], [m.metrics for m in independent]
    scored = []
    for kind, group, is_reference in (("distilled", distilled, False),
                                      ("independent", independent, True)):
        calibrations = held_out_calibrations(metrics, [m.metrics for m in group], negatives,
                                             positives, is_reference)
        scored += [_scored(kind, model, calibration.score(model.metrics),
                           calibration.oriented(model.metrics))
                   for model, calibration in zip(group, calibrations)]
    return metrics, scored


def score_defended(defended: Sequence[Measured], undefended: Sequence[Measured],
                   independent: Sequence[Measured]) -> tuple[tuple[str, ...], list[ScoredModel]]:
    """Defended students scored by the detector fitted on undefended ones; independents
    scored leave-one-out by that same detector."""
    metrics = usable_metrics(METRIC_NAMES, [m.metrics for m in defended],
                             [m.metrics for m in undefended], [m.metrics for m in independent])
    positives, negatives = [m.metrics for m in undefended], [m.metrics for m in independent]
    detector = fit_calibration(metrics, negatives, positives)
    scored = [_scored("distilled", model, detector.score(model.metrics),
                      detector.oriented(model.metrics)) for model in defended]
    calibrations = held_out_calibrations(metrics, negatives, negatives, positives, True)
    scored += [_scored("independent", model, calibration.score(model.metrics),
                       calibration.oriented(model.metrics))
               for model, calibration in zip(independent, calibrations)]
    return metrics, scored


def any_direction_auc(distilled: Sequence[Measured], independent: Sequence[Measured]) -> float:
    """AUC of the undirected score (root-mean-square z against the independent models,
    each independent model left out of its own reference set): what ``detect`` uses
    without known distilled students. It flags any departure from independently trained
    models, which a defense may cause without removing it."""
    positives, negatives = [m.metrics for m in distilled], [m.metrics for m in independent]
    metrics = usable_metrics(METRIC_NAMES, positives, negatives)
    detector = fit_calibration(metrics, negatives)
    held_out = held_out_calibrations(metrics, negatives, negatives, (), True)
    return roc_auc([calibration.score(values) for calibration, values in zip(held_out, negatives)],
                   [detector.score(values) for values in positives])


def areas(metrics: Sequence[str], scored: Sequence[ScoredModel]
          ) -> tuple[dict[str, float], dict[str, list[tuple[float, float]]]]:
    """ROC-AUC and ROC curve of each metric's oriented z and of the combined score."""
    auc, roc = {}, {}
    for name in (*metrics, COMBINED):
        def value(model: ScoredModel) -> float:
            return model.score if name == COMBINED else model.oriented[name]

        positives = [value(m) for m in scored if m.kind == "distilled"]
        negatives = [value(m) for m in scored if m.kind == "independent"]
        auc[name], roc[name] = roc_auc(negatives, positives), roc_curve(negatives, positives)
    return auc, roc


def measure_checkpoints(paths: Sequence[Path], seeds: Sequence[int], teacher: Subject,
                        probe: Probe, runs_dir: Path,
                        high_temperature: float = HIGH_TEMPERATURE,
                        teacher_logits: torch.Tensor | None = None) -> list[Measured]:
    """Each checkpoint's metrics against ``teacher`` on ``probe``."""
    reference = probe_logits(teacher, probe) if teacher_logits is None else teacher_logits
    measured = []
    for path, seed in zip(paths, seeds):
        logits = probe_logits(resolve_subject(str(path), "suspect", runs_dir), probe)
        measured.append(Measured(seed, accuracy(logits, probe.labels),
                                 pair_metrics(logits, reference, probe.labels,
                                              high_temperature)))
    return measured


def build_evaluation(preset: str, defense: str, students: int, probe: Probe,
                     teacher_accuracy: float, metrics: Sequence[str],
                     scored: Sequence[ScoredModel], adapted_auc: float | None = None,
                     on_status: Callable[[str], None] | None = None,
                     undirected_auc: float | None = None) -> Evaluation:
    auc, roc = areas(metrics, scored)
    evaluation = Evaluation(preset, defense, students, f"{probe.dataset} test", probe.size,
                            teacher_accuracy, tuple(scored), auc, roc, adapted_auc,
                            undirected_auc)
    if on_status is not None:
        on_status(f"{preset} [{defense}]: combined AUC {auc[COMBINED]:.3f}")
    return evaluation


def _scored(kind: str, model: Measured, score: float, oriented: dict[str, float]) -> ScoredModel:
    return ScoredModel(kind, model.seed, model.accuracy, dict(model.metrics), float(score),
                       {name: float(value) for name, value in oriented.items()})
