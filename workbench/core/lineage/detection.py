"""One detection: a suspect and a teacher, judged against reference models.

``judge`` is pure (metric values in, Detection out); ``detect`` resolves the models,
asks each about the probe images and calls it.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from workbench.core.lineage.calibration import (fit_calibration, held_out_scores,
                                                usable_metrics)
from workbench.core.lineage.metrics import (HIGH_TEMPERATURE, METRIC_NAMES, METRICS, accuracy,
                                            pair_metrics)
from workbench.core.lineage.probe import DEFAULT_DATASET, LineageError, Probe, load_probe
from workbench.core.lineage.subjects import Subject, probe_logits, resolve_subject
from workbench.core.lineage.verdict import DEFAULT_LEVEL, Decision, decide

Values = Mapping[str, float]
LABELS = {info.name: info.label for info in METRICS}


@dataclass(frozen=True)
class MetricReading:
    """One metric: the suspect's value and z-score, its learned weight, and the values
    and z-scores of the references and known distilled models (for strip plots)."""

    name: str
    label: str
    value: float
    z: float
    weight: float | None
    references: tuple[float, ...]
    distilled: tuple[float, ...]
    reference_z: tuple[float, ...]
    distilled_z: tuple[float, ...]


@dataclass(frozen=True)
class Detection:
    """Everything ``workbench detect`` reports about one suspect."""

    suspect: str
    teacher: str
    probe: str
    probe_size: int
    high_temperature: float
    readings: tuple[MetricReading, ...]
    left_out: tuple[str, ...]
    directed: bool
    score: float
    null_scores: tuple[float, ...]
    distilled_scores: tuple[float, ...]
    decision: Decision
    accuracies: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["decision"] = self.decision.to_dict()
        data["verdict"] = self.decision.verdict
        return data


@dataclass(frozen=True)
class About:
    """What a detection was about, for the report: names, probe, temperature, accuracies."""

    suspect: str = "suspect"
    teacher: str = "teacher"
    probe: str = ""
    probe_size: int = 0
    high_temperature: float = HIGH_TEMPERATURE
    accuracies: dict[str, float] = field(default_factory=dict)


def judge(suspect: Values, references: Sequence[Values], distilled: Sequence[Values] = (),
          level: float = DEFAULT_LEVEL, about: About | None = None) -> Detection:
    """Calibrate on ``references`` (and ``distilled``), score ``suspect``, decide."""
    about = about or About()
    metrics = usable_metrics(METRIC_NAMES, [suspect], references, distilled)
    if not metrics:
        raise LineageError("no metric is defined for every model (does the teacher get any "
                           "probe image wrong?); use a larger --probe")
    calibration = fit_calibration(metrics, references, distilled)
    z = calibration.z_scores(suspect)
    reference_z = [calibration.z_scores(values) for values in references]
    distilled_z = [calibration.z_scores(values) for values in distilled]
    readings = tuple(MetricReading(
        name, LABELS[name], float(suspect[name]), z[name],
        calibration.weights.get(name) if calibration.directed else None,
        tuple(float(values[name]) for values in references),
        tuple(float(values[name]) for values in distilled),
        tuple(values[name] for values in reference_z),
        tuple(values[name] for values in distilled_z)) for name in metrics)
    null = held_out_scores(metrics, references, references, distilled, True)
    positives = held_out_scores(metrics, distilled, references, distilled, False)
    score = calibration.score(suspect)
    return Detection(
        suspect=about.suspect, teacher=about.teacher, probe=about.probe,
        probe_size=about.probe_size, high_temperature=about.high_temperature,
        readings=readings, left_out=tuple(n for n in METRIC_NAMES if n not in metrics),
        directed=calibration.directed, score=score, null_scores=tuple(null),
        distilled_scores=tuple(positives), decision=decide(score, null, level),
        accuracies=dict(about.accuracies))


def detect(suspect: str, teacher: str, references: Sequence[str] = (),
           distilled: Sequence[str] = (), *, runs_dir: Path, dataset: str | None = None,
           probe_size: int | None = None, high_temperature: float = HIGH_TEMPERATURE,
           level: float = DEFAULT_LEVEL,
           on_status: Callable[[str], None] | None = None) -> Detection:
    """Resolve every model, measure each against the teacher on the probe, and judge.

    Raises:
        LineageError: a target cannot be loaded, or the models disagree on the probe.
    """
    status = on_status or (lambda message: None)
    teacher_subject = resolve_subject(teacher, "teacher", runs_dir)
    suspect_subject = resolve_subject(suspect, "suspect", runs_dir)
    reference_subjects = [resolve_subject(item, "reference", runs_dir) for item in references]
    distilled_subjects = [resolve_subject(item, "distilled", runs_dir) for item in distilled]
    everyone = [teacher_subject, suspect_subject, *reference_subjects, *distilled_subjects]
    probe = load_probe(dataset or _common_dataset(everyone), probe_size)
    status(f"probe: {probe.size} {probe.dataset} test images")
    teacher_logits = probe_logits(teacher_subject, probe)
    measure = _measurer(probe, teacher_logits, high_temperature)
    suspect_values = measure(suspect_subject)
    reference_values = [measure(subject) for subject in reference_subjects]
    distilled_values = [measure(subject) for subject in distilled_subjects]
    accuracies = {"teacher": accuracy(teacher_logits, probe.labels),
                  "suspect": suspect_values.pop("accuracy")}
    for values in reference_values + distilled_values:
        values.pop("accuracy")
    about = About(suspect_subject.source, teacher_subject.source, f"{probe.dataset} test",
                  probe.size, high_temperature, accuracies)
    return judge(suspect_values, reference_values, distilled_values, level, about)


def _measurer(probe: Probe, teacher_logits: torch.Tensor,
              high_temperature: float) -> Callable[[Subject], dict[str, float]]:
    def measure(subject: Subject) -> dict[str, float]:
        logits = probe_logits(subject, probe)
        values = pair_metrics(logits, teacher_logits, probe.labels, high_temperature)
        values["accuracy"] = accuracy(logits, probe.labels)
        return values

    return measure


def _common_dataset(subjects: Sequence[Subject]) -> str:
    """The dataset the models say they were trained on; they must not disagree."""
    named = {subject.dataset for subject in subjects if subject.dataset}
    if len(named) > 1:
        raise LineageError(f"the models were trained on different datasets "
                           f"({', '.join(sorted(named))}); pick the probe with --dataset")
    return named.pop() if named else DEFAULT_DATASET
