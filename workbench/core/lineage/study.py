"""``detect --evaluate``: train the students, measure them, score them, sweep defenses.

The undefended round trains K pairs (a distilled student and a labels-only baseline
per seed). Each defense trains only K more students, with the same seeds: the
independent models do not depend on how the teacher's outputs were hidden.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from workbench.core.lineage.evaluation import (COMBINED, Evaluation, Measured, ScoredModel,
                                               any_direction_auc, areas, build_evaluation,
                                               measure_checkpoints, score_defended,
                                               score_held_out)
from workbench.core.lineage.metrics import HIGH_TEMPERATURE, accuracy
from workbench.core.lineage.probe import LineageError, Probe, load_probe
from workbench.core.lineage.references import (SEED_BASE, TrainedPair, check_trainable,
                                               preset_teacher, train_pairs, work_folder)
from workbench.core.lineage.subjects import Subject, probe_logits
from workbench.core.presets.load import load_experiment
from workbench.core.stream.control import RunControl
from workbench.core.stream.events import Event

MIN_STUDENTS = 3  # leave-one-out needs 2 left in each group, and 3 references for a null


@dataclass(frozen=True)
class Study:
    """The undefended evaluation first, then one per defense."""

    preset: str
    students: int
    seeds: tuple[int, ...]
    overrides: tuple[str, ...]
    evaluations: tuple[Evaluation, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"preset": self.preset, "students": self.students, "seeds": list(self.seeds),
                "overrides": list(self.overrides),
                "evaluations": [evaluation.to_dict() for evaluation in self.evaluations],
                "tradeoff": [trade_off_row(evaluation) for evaluation in self.evaluations]}


def trade_off_row(evaluation: Evaluation) -> dict[str, Any]:
    """What a defense costs and buys: student accuracy against detection AUC."""
    return {"defense": evaluation.defense,
            "student_accuracy": evaluation.mean_accuracy("distilled"),
            "independent_accuracy": evaluation.mean_accuracy("independent"),
            "auc": evaluation.auc[COMBINED], "adapted_auc": evaluation.adapted_auc,
            "any_direction_auc": evaluation.any_direction_auc}


def run_study(preset: str, students: int, work_dir: Path | None = None, *,
              overrides: Sequence[str] = (), defenses: Sequence[str] = (),
              probe_size: int | None = None,
              high_temperature: float = HIGH_TEMPERATURE,
              callbacks: Sequence[Callable[[Event], None]] = (),
              control: RunControl | None = None,
              on_status: Callable[[str], None] | None = None) -> Study:
    """Train, measure and score; the runs go to ``work_dir`` (else a temporary folder).

    Raises:
        LineageError / PresetError: before anything is trained.
        RunStopped: a stop was requested.
    """
    status = on_status or (lambda message: None)
    if students < MIN_STUDENTS:
        raise LineageError(f"--students {students}: give at least {MIN_STUDENTS} (each model "
                           "is scored by a detector fitted on the others)")
    loaded = load_experiment(preset, list(overrides))
    check_trainable(loaded)
    for defense in defenses:  # every defense must be a valid override before training
        load_experiment(preset, [*overrides, defense])
    probe = load_probe(loaded.data.dataset, probe_size)
    teacher = Subject("teacher", str(loaded.teacher.weights), probe.dataset,
                      preset_teacher(loaded, probe.input_shape, probe.num_classes))

    with work_folder(work_dir) as folder:
        trainer = _Trainer(preset, students, folder, tuple(overrides), probe, teacher,
                           probe_logits(teacher, probe), high_temperature, tuple(callbacks),
                           control, status)
        return trainer.study(defenses)


@dataclass(frozen=True)
class _Trainer:
    """What every round of a study shares: the preset, the probe, the teacher's answers."""

    preset: str
    students: int
    work_dir: Path
    overrides: tuple[str, ...]
    probe: Probe
    teacher: Subject
    teacher_logits: torch.Tensor
    high_temperature: float
    callbacks: tuple[Callable[[Event], None], ...]
    control: RunControl | None
    status: Callable[[str], None]

    def study(self, defenses: Sequence[str]) -> Study:
        """The undefended round (pairs), then one round of students per defense."""
        pairs = self.train([], True, "distilled + independent")
        distilled = self.measure([pair.distilled for pair in pairs], pairs)
        independent = self.measure([pair.reference for pair in pairs if pair.reference], pairs)
        metrics, scored = score_held_out(distilled, independent)
        evaluations = [self.evaluation("none", metrics, scored, None,
                                       any_direction_auc(distilled, independent))]
        for defense in defenses:
            defended_pairs = self.train([defense], False, defense)
            defended = self.measure([pair.distilled for pair in defended_pairs],
                                    defended_pairs)
            used, scored_defended = score_defended(defended, distilled, independent)
            adapted_metrics, adapted = score_held_out(defended, independent)
            adapted_auc = areas(adapted_metrics, adapted)[0][COMBINED]
            evaluations.append(self.evaluation(defense, used, scored_defended, adapted_auc,
                                               any_direction_auc(defended, independent)))
        return Study(self.preset, self.students,
                     tuple(SEED_BASE + i for i in range(self.students)), self.overrides,
                     tuple(evaluations))

    def train(self, extra: Sequence[str], baseline: bool, label: str) -> list[TrainedPair]:
        def started(index: int, count: int, seed: int) -> None:
            self.status(f"{label}: run {index + 1}/{count} (seed {seed})")

        return train_pairs(self.preset, self.students, self.work_dir,
                           [*self.overrides, *extra], baseline=baseline,
                           callbacks=self.callbacks, control=self.control, on_start=started)

    def measure(self, paths: list[Path], pairs: list[TrainedPair]) -> list[Measured]:
        return measure_checkpoints(paths, [pair.seed for pair in pairs], self.teacher,
                                   self.probe, self.work_dir, self.high_temperature,
                                   self.teacher_logits)

    def evaluation(self, defense: str, metrics: Sequence[str], scored: Sequence[ScoredModel],
                   adapted_auc: float | None, undirected_auc: float) -> Evaluation:
        return build_evaluation(self.preset, defense, self.students, self.probe,
                                accuracy(self.teacher_logits, self.probe.labels), metrics,
                                scored, adapted_auc, self.status, undirected_auc)
