"""α and T schedules: values per step, the loss really uses them, runs report them."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from tests.core.conftest import tiny_preset
from workbench.core.data.batches import UNLABELED, Batch, Progress
from workbench.core.distill.losses import kd_loss, soft_targets
from workbench.core.distill.schedule import STAGES, Schedule, scheduled
from workbench.core.distill.step_loss import TEACHER_LOGITS, kd_objective
from workbench.core.engine.pipeline import run_experiment
from workbench.core.errors import PresetError
from workbench.core.runs.store import RunStore


@pytest.fixture(autouse=True)
def _fast_synthetic(memoized_synthetic: None) -> None:
    """Reuse the session's synthetic images."""


@pytest.mark.parametrize(("kind", "fraction", "expected"), [
    ("constant", 0.7, 0.9),
    ("linear", 0.0, 0.9), ("linear", 0.25, 0.7), ("linear", 1.0, 0.1),
    ("cosine", 0.0, 0.9), ("cosine", 0.5, 0.5), ("cosine", 1.0, 0.1),
    ("cosine", 0.25, 0.1 + 0.8 * (1 + math.cos(math.pi / 4)) / 2),
    ("step", 0.0, 0.9), ("step", 0.24, 0.9), ("step", 0.25, 0.9 - 0.8 / 3),
    ("step", 0.6, 0.9 - 1.6 / 3), ("step", 0.99, 0.1), ("step", 1.0, 0.1),
])
def test_each_schedule_gives_its_value_at_a_fraction_of_the_fit(kind, fraction, expected):
    assert STAGES == 4
    assert scheduled(kind, 0.9, 0.1, fraction) == pytest.approx(expected)


def test_progress_runs_from_the_first_to_the_last_step_and_counts_epochs():
    first, last = Progress(0, 30, 10), Progress(29, 30, 10)
    assert (first.fraction, last.fraction) == (0.0, 1.0)
    assert Progress(15, 31, 10).fraction == 0.5
    assert [Progress(step, 30, 10).epoch for step in (0, 9, 10, 29)] == [1, 1, 2, 3]


def test_an_end_left_null_keeps_the_start_value():
    schedule = Schedule("linear", alpha=0.3, temperature=6.0, temperature_end=2.0)
    assert schedule.at(1.0) == (0.3, 2.0)
    assert schedule.moves_temperature
    assert not Schedule("constant", 0.3, 6.0, 0.9, 2.0).moves_temperature
    assert Schedule("constant", 0.3, 6.0, 0.9, 2.0).at(1.0) == (0.3, 6.0)


def batch_at(step: int, total: int, labels: torch.Tensor, teacher: torch.Tensor) -> Batch:
    return Batch(torch.zeros(labels.shape[0], 1), labels, {TEACHER_LOGITS: teacher},
                 bool((labels >= 0).all()), progress=Progress(step, total, total))


@pytest.mark.parametrize("step", [0, 5, 10])
@pytest.mark.parametrize("labeled", ["all", "half"])
def test_a_step_uses_the_scheduled_alpha_and_temperature(step: int, labeled: str):
    """The step's values and gradient are kd_loss's at the schedule's α and T (not the start's)."""
    generator = torch.Generator().manual_seed(3)
    student = (torch.randn(16, 10, generator=generator) * 2).requires_grad_()
    teacher = torch.randn(16, 10, generator=generator) * 3
    labels = torch.randint(0, 10, (16,), generator=generator)
    if labeled == "half":
        labels[::2] = UNLABELED
    schedule = Schedule("linear", 0.9, 8.0, alpha_end=0.1, temperature_end=2.0)
    alpha, temperature = schedule.at(step / 10)
    assert (alpha, temperature) == pytest.approx((0.9 - 0.08 * step, 8.0 - 0.6 * step))
    loss = kd_objective(0.9, 8.0, schedule)([student], batch_at(step, 11, labels, teacher))[0]
    loss.backward()
    targets = soft_targets(teacher, temperature)
    reference = student.detach().clone().requires_grad_()
    total, hard, soft = kd_loss(reference, labels, targets.probs, targets.neg_entropy, alpha,
                                temperature, labeled == "all")
    total.backward()
    assert loss.values() == pytest.approx((total.item(), hard.item(), soft.item()), rel=1e-5)
    torch.testing.assert_close(student.grad, reference.grad, rtol=1e-4, atol=1e-7)
    if step:  # the start values would give another loss: the schedule is not ignored
        start = soft_targets(teacher, 8.0)
        unscheduled = kd_loss(reference.detach(), labels, start.probs, start.neg_entropy, 0.9,
                              8.0, labeled == "all")[0]
        assert loss.values()[0] != pytest.approx(unscheduled.item(), rel=1e-3)


def test_the_objective_reports_the_values_it_uses():
    objective = kd_objective(0.9, 8.0, Schedule("cosine", 0.9, 8.0, 0.1, 2.0))
    assert objective.metrics(Progress(0, 11, 11)) == {"alpha": 0.9, "temperature": 8.0}
    assert objective.metrics(Progress(10, 11, 11)) == pytest.approx({"alpha": 0.1,
                                                                     "temperature": 2.0})


def epoch_records(folder: Path, phase: str) -> list[dict[str, float]]:
    records = [json.loads(line) for line in
               (folder / "metrics.jsonl").read_text(encoding="utf-8").splitlines()]
    return [record for record in records
            if record["event"] == "epoch_ended" and record["phase"] == phase]


@pytest.mark.parametrize("labeled", [None, 300])
def test_a_run_follows_the_schedule_and_records_alpha_and_t_per_epoch(tmp_path: Path,
                                                                       labeled: int | None):
    overrides = ["train.epochs=3", "distill.schedule=linear", "distill.alpha=0.9",
                 "distill.alpha_end=0.2", "distill.temperature=6", "distill.temperature_end=2",
                 "train.baseline=false"]
    if labeled:
        overrides.append(f"data.labeled={labeled}")
    preset = tiny_preset(*overrides)
    store = RunStore(tmp_path / "runs", preset)
    result = run_experiment(preset, recorder=store)
    assert result.status == "completed"
    epochs = epoch_records(store.path, "student")
    steps = 8  # 1,000 training rows in batches of 128
    total = 3 * steps
    for epoch, record in enumerate(epochs, start=1):
        fraction = (epoch * steps - 1) / (total - 1)  # the epoch's last step
        metrics = record["metrics"] if "metrics" in record else record
        assert metrics["alpha"] == pytest.approx(0.9 - 0.7 * fraction)
        assert metrics["temperature"] == pytest.approx(6 - 4 * fraction)
    last = epochs[-1]["metrics"] if "metrics" in epochs[-1] else epochs[-1]
    assert (last["alpha"], last["temperature"]) == pytest.approx((0.2, 2.0))


def test_a_schedule_changes_what_the_student_learns(tmp_path: Path):
    """Same seed and data: a moving α and T end in other weights than constant ones."""
    def student(*overrides: str) -> dict[str, torch.Tensor]:
        preset = tiny_preset("train.baseline=false", "distill.alpha=0.5",
                             "distill.temperature=4", *overrides)
        store = RunStore(tmp_path / "runs", preset)
        run_experiment(preset, recorder=store)
        return torch.load(store.path / "ckpt" / "student.pt", weights_only=True)["state_dict"]

    constant = student()
    named_constant = student("distill.schedule=constant", "distill.alpha_end=0.1")
    moving = student("distill.schedule=linear", "distill.alpha_end=0.1",
                     "distill.temperature_end=1.5")
    assert all(torch.equal(constant[key], named_constant[key]) for key in constant)
    assert not all(torch.equal(constant[key], moving[key]) for key in constant)


def test_bad_schedule_values_are_named():
    with pytest.raises(PresetError) as raised:
        tiny_preset("distill.schedule=exponential", "distill.alpha_end=1.5",
                    "distill.temperature_end=0")
    assert {problem.path for problem in raised.value.problems} == {
        "distill.schedule", "distill.alpha_end", "distill.temperature_end"}


@pytest.mark.parametrize("method", [["distill.method=online"],
                                    ["distill.method=self", "distill.generations=1"]])
def test_online_and_self_distillation_follow_the_schedule_too(method: list[str]):
    from workbench.core.stream.events import EpochEnded

    events: list = []
    preset = tiny_preset("train.baseline=false", "distill.schedule=linear", "distill.alpha=0.8",
                         "distill.alpha_end=0.2", "distill.temperature_end=1.5", *method)
    assert run_experiment(preset, callbacks=[events.append]).status == "completed"
    taught = [event for event in events if isinstance(event, EpochEnded)
              and "alpha" in event.metrics]
    assert {event.phase for event in taught} >= {"student"}
    last = [event.metrics for event in taught if event.epoch == 2]
    assert last and all((metrics["alpha"], metrics["temperature"]) == pytest.approx((0.2, 1.5))
                        for metrics in last)
