"""Distil or train from scratch? Energy and time to the same accuracy, on this machine.

The essay's life-cycle claim, answered from one run's summary and its per-epoch
validation accuracy: (a) distil the student from the cached teacher, counting
the one-off cost of caching the teacher's outputs; (b) train the same student
from labels alone (the run's baseline). "The same accuracy" is the lower of
the two final validation accuracies; each route is charged up to the first
epoch that reaches it. Epochs of one phase are the same work (same steps,
same evaluation), so a phase's energy and time are shared out evenly by epoch.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from workbench.core.errors import WorkbenchError

INFERENCE_MODELS = ("teacher", "student", "student-int8", "student-qat", "student-pruned",
                    "baseline")


class LifecycleError(WorkbenchError):
    """The run cannot answer the question (no baseline, no history)."""


@dataclass(frozen=True)
class Route:
    """One way to the target accuracy and what it cost up to the epoch that reached it."""

    name: str  # "distill" | "scratch"
    phase: str  # the training phase it was charged from
    epoch: int  # first epoch whose validation accuracy reached the target (1-based)
    epochs: int  # epochs the phase ran
    final_val_acc: float
    test_acc: float | None
    training_j: float  # the phase's energy up to ``epoch``
    training_s: float
    one_off_j: float = 0.0  # caching the teacher's outputs (distill only)
    one_off_s: float = 0.0

    @property
    def energy_j(self) -> float:
        return self.training_j + self.one_off_j

    @property
    def seconds(self) -> float:
        return self.training_s + self.one_off_s


@dataclass(frozen=True)
class Lifecycle:
    target_val_acc: float
    distill: Route
    scratch: Route
    method: str  # how the joules were obtained: rapl | nvml | estimate
    inference_per_1k_j: dict[str, float | None] = field(default_factory=dict)
    teacher_training_j: float = 0.0  # a teacher trained in this run (not charged to either)

    @property
    def energy_ratio(self) -> float | None:
        """Scratch joules / distil joules: above 1, distilling was the cheaper way there."""
        return self.scratch.energy_j / self.distill.energy_j if self.distill.energy_j else None

    def to_dict(self) -> dict[str, Any]:
        routes = {route.name: {**asdict(route), "energy_j": route.energy_j,
                               "seconds": route.seconds}
                  for route in (self.distill, self.scratch)}
        return {"target_val_acc": self.target_val_acc, **routes,
                "energy_ratio": self.energy_ratio, "method": self.method,
                "teacher_training_j": self.teacher_training_j,
                "inference_per_1k_j": dict(self.inference_per_1k_j)}


def first_epoch_reaching(val_acc: Sequence[float], target: float) -> int:
    """1-based epoch at which ``val_acc`` first reaches ``target`` (the last one if never)."""
    for index, value in enumerate(val_acc):
        if value >= target:
            return index + 1
    return len(val_acc)


def _number(mapping: Any, key: str | None) -> float:
    """A figure of a summary mapping, 0.0 when absent or not a number (a hand-edited file)."""
    value = mapping.get(key) if isinstance(mapping, Mapping) and key else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _route(name: str, phase: str, history: Sequence[float], target: float,
           summary: Mapping[str, Any], one_off: str | None = None) -> Route:
    energy, timings = summary.get("energy"), summary.get("timings")
    epoch, epochs = first_epoch_reaching(history, target), len(history)
    share = epoch / epochs
    test = ((summary.get("models") or {}).get(phase) or {}).get("accuracy")
    return Route(name, phase, epoch, epochs, float(history[-1]), test,
                 _number(energy, f"{phase}_j") * share, _number(timings, f"{phase}_s") * share,
                 _number(energy, one_off and f"{one_off}_j"),
                 _number(timings, one_off and f"{one_off}_s"))


def check_answerable(summary: Mapping[str, Any], histories: Mapping[str, Sequence[float]]) -> None:
    """Raise LifecycleError naming what the run lacks."""
    if not isinstance(summary.get("energy"), Mapping) or not summary["energy"]:
        raise LifecycleError("the run has no energy bill (it was made by an older workbench)")
    for phase, fix in (("student", "a distilled student"),
                       ("baseline", "a baseline: set train.baseline=true")):
        if not histories.get(phase):
            raise LifecycleError(f"the life-cycle comparison needs {fix} "
                                 f"(no per-epoch validation accuracy for '{phase}')")


def lifecycle(summary: Mapping[str, Any], histories: Mapping[str, Sequence[float]]) -> Lifecycle:
    """Energy and time of distilling vs training from labels to the same validation accuracy.

    Args:
        summary: a run summary with ``energy``, ``timings`` and ``models``.
        histories: per phase, the validation accuracy of each epoch in order.
    """
    check_answerable(summary, histories)
    target = min(float(histories["student"][-1]), float(histories["baseline"][-1]))
    energy = summary["energy"]
    models = summary.get("models") or {}
    inference = {name: (models[name] or {}).get("energy_per_1k_j") for name in INFERENCE_MODELS
                 if name in models}
    return Lifecycle(target, _route("distill", "student", histories["student"], target, summary,
                                    one_off="cache"),
                     _route("scratch", "baseline", histories["baseline"], target, summary),
                     str(energy.get("method", "")), inference, _number(energy, "teacher_j"))


def val_histories(epochs: Mapping[str, Sequence[Mapping[str, float]]]) -> dict[str, list[float]]:
    """Per phase, the ``val_acc`` of each epoch (from ``EpochEnded`` metrics or RunCurves)."""
    return {phase: [float(row["val_acc"]) for row in rows if row.get("val_acc") is not None]
            for phase, rows in epochs.items()}


TABLE_LINES = 4  # header, rule, one row per route: what ``lifecycle_lines`` starts with


def lifecycle_lines(answer: Lifecycle) -> list[str]:
    """The answer as text: a small table (``TABLE_LINES`` lines), then notes in prose."""
    rows = [("route", "reached", "energy J", "time s", "val / test acc")]
    for route, label in ((answer.distill, "distil + teacher cache"),
                         (answer.scratch, "from labels")):
        test = "-" if route.test_acc is None else f"{100 * route.test_acc:.2f}%"
        rows.append((label, f"epoch {route.epoch}/{route.epochs}", f"{route.energy_j:,.1f}",
                     f"{route.seconds:,.1f}", f"{100 * route.final_val_acc:.2f}% / {test}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines + _notes(answer)


def _notes(answer: Lifecycle) -> list[str]:
    ratio = answer.energy_ratio
    if ratio is None or ratio == 0:
        verdict = "."
    elif ratio >= 1:
        verdict = (f"; training from labels took {ratio:.2f}x the energy of distilling "
                   "(distilling paid off).")
    else:
        verdict = (f"; distilling took {1 / ratio:.2f}x the energy of training from labels "
                   "(it did not pay off here).")
    notes = [f"Target: {100 * answer.target_val_acc:.2f}% validation accuracy (the lower final "
             f"one); energy by {answer.method}{verdict}"]
    if answer.teacher_training_j:
        notes.append(f"The teacher was trained in this run ({answer.teacher_training_j:,.1f} J), "
                     "a one-off cost charged to neither route.")
    if answer.inference_per_1k_j:
        notes.append("Energy per 1,000 predictions: " + ", ".join(
            f"{name} {'-' if joules is None else f'{joules:.3g} J'}"
            for name, joules in answer.inference_per_1k_j.items()) + ".")
    return notes


def energy_chart_data(summary: Mapping[str, Any]) -> tuple[list[tuple[str, float]],
                                                           list[tuple[str, float]]]:
    """(training energy per phase, energy per 1,000 predictions per model), for bar charts.

    Phases that did not run (0 J) are left out; models without a figure too.
    """
    energy = summary.get("energy") or {}
    phases = [(key[:-2], float(value)) for key, value in energy.items()
              if key.endswith("_j") and key != "total_j" and isinstance(value, (int, float))
              and value > 0]
    models = summary.get("models") or {}
    order = [name for name in INFERENCE_MODELS if name in models] + sorted(
        name for name in models if name not in INFERENCE_MODELS)
    inference = [(name, float(models[name]["energy_per_1k_j"])) for name in order
                 if isinstance((models[name] or {}).get("energy_per_1k_j"), (int, float))]
    return phases, inference
