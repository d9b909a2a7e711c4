"""Detections and evaluations as plain text: what ``workbench detect`` prints."""
from __future__ import annotations

from collections.abc import Sequence
from statistics import fmean, stdev

from workbench.core.lineage.detection import Detection
from workbench.core.lineage.evaluation import COMBINED
from workbench.core.lineage.metrics import METRICS
from workbench.core.lineage.study import Study, trade_off_row

LABELS = {info.name: info.label for info in METRICS} | {COMBINED: "combined score"}


def mean_std(values: Sequence[float]) -> str:
    if not values:
        return "-"
    spread = stdev(values) if len(values) > 1 else 0.0
    return f"{fmean(values):.4g} ± {spread:.2g}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned first column, right-aligned numbers, one space-padded line per row."""
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [str(row[0]).ljust(widths[0])]
        cells += [str(cell).rjust(width) for cell, width in zip(row[1:], widths[1:])]
        return "  ".join(cells).rstrip()

    return "\n".join([line(header), *(line(row) for row in rows)])


def format_detection(detection: Detection) -> str:
    """The metric table, the combined score against the references, and the verdict."""
    accuracy = detection.accuracies
    lines = [f"suspect: {detection.suspect} (accuracy {_percent(accuracy.get('suspect'))})",
             f"teacher: {detection.teacher} (accuracy {_percent(accuracy.get('teacher'))})",
             f"probe: {detection.probe_size} {detection.probe} images; high T = "
             f"{detection.high_temperature:g}; {len(detection.readings[0].references)} "
             f"references, {len(detection.readings[0].distilled)} known distilled", ""]
    header = ["metric", "suspect", "references", "known distilled", "z", "weight"]
    rows = [[reading.label, f"{reading.value:.4g}", mean_std(reading.references),
             mean_std(reading.distilled), f"{reading.z:+.2f}",
             "-" if reading.weight is None else f"{reading.weight:+.2f}"]
            for reading in detection.readings]
    lines.append(table(header, rows))
    if detection.left_out:
        lines.append(f"left out (undefined for some model): {', '.join(detection.left_out)}")
    kind = ("weighted by what the known distilled students showed" if detection.directed
            else "root-mean-square z: no known distilled students, so any direction counts")
    lines += ["", f"combined score: {detection.score:.3g} ({kind}); references (held out): "
              f"{mean_std(detection.null_scores)}; known distilled (held out): "
              f"{mean_std(detection.distilled_scores)}",
              f"verdict: {detection.decision.describe()}"]
    return "\n".join(lines)


def format_study(study: Study) -> str:
    """AUC per metric for each round, then the defense trade-off."""
    evaluations = study.evaluations
    names = [name for name in (*LABELS,) if all(name in e.auc for e in evaluations)]
    header = ["metric", *(evaluation.defense for evaluation in evaluations)]
    rows = [[LABELS[name], *(f"{evaluation.auc[name]:.3f}" for evaluation in evaluations)]
            for name in names]
    first = evaluations[0]
    lines = [f"{study.preset}: {study.students} distilled vs {study.students} independent "
             f"students (seeds {study.seeds[0]}-{study.seeds[-1]}); probe {first.probe_size} "
             f"{first.probe} images; teacher accuracy {_percent(first.teacher_accuracy)}",
             "ROC-AUC, each model scored by a detector fitted without it:", "",
             table(header, rows)]
    if len(evaluations) > 1:
        trade = [trade_off_row(evaluation) for evaluation in evaluations]
        lines += ["", table(["defense", "student accuracy", "independent accuracy", "AUC",
                             "AUC (detector refitted)", "AUC (any departure)"],
                            [[row["defense"], _percent(row["student_accuracy"]),
                              _percent(row["independent_accuracy"]), f"{row['auc']:.3f}",
                              _auc(row["adapted_auc"]), _auc(row["any_direction_auc"])]
                             for row in trade])]
    return "\n".join(lines)


def _auc(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"
