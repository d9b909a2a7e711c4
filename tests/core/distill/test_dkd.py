"""Decoupled KD: the loss against a hand computation, the paper's identity, the method."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F

from tests.core.conftest import tiny_preset
from workbench.core.data.batches import UNLABELED, Batch, Progress
from workbench.core.distill import METHODS
from workbench.core.distill.dkd import (TEACHER_LOGITS, decoupled_kl, dkd_loss,
                                        dkd_objective, dkd_step)
from workbench.core.distill.schedule import Schedule
from workbench.core.engine.pipeline import run_experiment
from workbench.core.errors import PresetError
from workbench.core.runs.store import RunStore
from workbench.core.stream.events import PhaseStarted, StepEnded


@pytest.fixture(autouse=True)
def _fast_synthetic(memoized_synthetic: None) -> None:
    """Reuse the session's synthetic images."""


def kl(p: list[float], q: list[float]) -> float:
    return sum(a * math.log(a / b) for a, b in zip(p, q) if a > 0)


def softmax(values: list[float], temperature: float) -> list[float]:
    exps = [math.exp(value / temperature) for value in values]
    return [value / sum(exps) for value in exps]


def by_hand(student: list[float], teacher: list[float], target: int,
            temperature: float) -> tuple[float, float]:
    """TCKD and NCKD of one row, in plain floats, following the paper's definitions."""
    p_s, p_t = softmax(student, temperature), softmax(teacher, temperature)
    tckd = kl([p_t[target], 1 - p_t[target]], [p_s[target], 1 - p_s[target]])
    others = [index for index in range(len(student)) if index != target]
    hat_s = [p_s[index] / (1 - p_s[target]) for index in others]
    hat_t = [p_t[index] / (1 - p_t[target]) for index in others]
    return tckd, kl(hat_t, hat_s)


STUDENT = [[1.0, 2.0, 0.5, -1.0], [0.3, -0.2, 2.5, 0.0]]
TEACHER = [[0.5, 3.0, -1.0, 1.0], [2.0, 0.1, 1.5, -0.5]]
LABELS = [1, 0]


def test_tckd_and_nckd_match_a_hand_computation_at_the_temperature() -> None:
    temperature = 2.0
    tckd, nckd = decoupled_kl(torch.tensor(STUDENT), torch.tensor(TEACHER),
                              torch.tensor(LABELS), temperature)
    for row in range(2):
        expected = by_hand(STUDENT[row], TEACHER[row], LABELS[row], temperature)
        assert tckd[row].item() == pytest.approx(expected[0], rel=1e-5)
        assert nckd[row].item() == pytest.approx(expected[1], rel=1e-5)
    at_one = by_hand(STUDENT[0], TEACHER[0], LABELS[0], 1.0)  # softening at T = 1 differs
    assert tckd[0].item() != pytest.approx(at_one[0], rel=1e-2)


def test_the_loss_weighs_ce_by_alpha_and_both_parts_by_their_weights_and_t_squared() -> None:
    temperature, alpha, tckd_weight, nckd_weight = 2.0, 0.7, 1.5, 8.0
    total, hard, soft = dkd_loss(torch.tensor(STUDENT), torch.tensor(TEACHER),
                                 torch.tensor(LABELS), alpha, temperature, tckd_weight,
                                 nckd_weight, fully_labeled=True)
    parts = [by_hand(STUDENT[row], TEACHER[row], LABELS[row], temperature) for row in range(2)]
    ce = sum(-math.log(softmax(STUDENT[row], 1.0)[LABELS[row]]) for row in range(2)) / 2
    expected_soft = sum(tckd_weight * tckd + nckd_weight * nckd for tckd, nckd in parts) / 2
    assert hard.item() == pytest.approx(ce, rel=1e-5)
    assert soft.item() == pytest.approx(expected_soft, rel=1e-5)
    assert total.item() == pytest.approx(alpha * ce + temperature ** 2 * expected_soft, rel=1e-5)


def test_classical_kd_is_tckd_plus_one_minus_teacher_target_times_nckd() -> None:
    """The paper's identity, row by row, on random logits."""
    generator = torch.Generator().manual_seed(0)
    student = torch.randn(16, 10, generator=generator) * 3
    teacher = torch.randn(16, 10, generator=generator) * 3
    targets = torch.randint(0, 10, (16,), generator=generator)
    temperature = 3.0
    tckd, nckd = decoupled_kl(student, teacher, targets, temperature)
    teacher_probs = F.softmax(teacher / temperature, dim=1)
    classical = F.kl_div(F.log_softmax(student / temperature, dim=1), teacher_probs,
                         reduction="none").sum(1)
    p_target = teacher_probs.gather(1, targets.unsqueeze(1)).squeeze(1)
    assert torch.allclose(classical, tckd + (1 - p_target) * nckd, atol=1e-5)
    _, _, soft = dkd_loss(student, teacher, targets, 1.0, temperature, 1.0, 1.0)
    assert soft.item() >= classical.mean().item()  # equal weights overweight NCKD vs KD


def test_alpha_zero_leaves_no_cross_entropy_gradient() -> None:
    student = torch.tensor(STUDENT, requires_grad=True)
    total, _, soft = dkd_loss(student, torch.tensor(TEACHER), torch.tensor(LABELS), 0.0, 2.0,
                              1.0, 8.0)
    total.backward()
    only_kd = torch.tensor(STUDENT, requires_grad=True)
    (4.0 * dkd_loss(only_kd, torch.tensor(TEACHER), torch.tensor(LABELS), 0.5, 2.0, 1.0,
                    8.0)[2]).backward()
    assert torch.allclose(student.grad, only_kd.grad)


def test_a_confident_teacher_and_unlabeled_rows_give_finite_gradients() -> None:
    student = torch.tensor(STUDENT, requires_grad=True)
    teacher = torch.tensor([[0.0, 1e4, 0.0, 0.0], [2.0, 0.1, 1.5, -0.5]])
    labels = torch.tensor([1, UNLABELED])
    total, hard, _ = dkd_loss(student, teacher, labels, 0.5, 4.0, 1.0, 8.0)
    total.backward()
    assert torch.isfinite(total) and torch.isfinite(student.grad).all()
    # the unlabeled row splits on the teacher's top class and adds no cross-entropy
    assert hard.item() == pytest.approx(-math.log(softmax(STUDENT[0], 1.0)[1]), rel=1e-5)
    tckd, _ = decoupled_kl(student.detach(), teacher, torch.tensor([1, 0]), 4.0)
    _, _, soft = dkd_loss(student.detach(), teacher, labels, 0.5, 4.0, 1.0, 0.0)
    assert soft.item() == pytest.approx(tckd.mean().item(), rel=1e-5)


def test_warmup_ramps_the_kd_part_linearly_over_the_first_epochs() -> None:
    """The ramp reads the epoch from the batch's progress (a resumed fit ramps alike)."""
    objective = dkd_objective(0.5, 2.0, 1.0, 8.0, warmup=2)
    ramps = []
    for step in [0, 1, 2, 3, 4, 5, 6, 2]:  # the last: step 2 again, asked after step 6
        batch = Batch(torch.zeros(2, 1), torch.tensor(LABELS),
                      {TEACHER_LOGITS: torch.tensor(TEACHER)},
                      progress=Progress(step, total=21, steps_per_epoch=3))
        total, hard, soft = objective([torch.tensor(STUDENT)], batch)[0].values()
        ramps.append((total - 0.5 * hard) / (4.0 * soft))
    assert ramps == pytest.approx([0.5] * 3 + [1.0] * 4 + [0.5])


def test_dkd_is_registered_with_validated_parameters() -> None:
    params = {param.name: param for param in METHODS.get("dkd").params}
    assert {name: params[name].default for name in params} == {
        "alpha": 1.0, "temperature": 4.0, "tckd_weight": 1.0, "nckd_weight": 8.0, "warmup": 0}
    preset = tiny_preset("distill.method=dkd", "distill.nckd_weight=2")
    distill = preset.to_dict()["distill"]
    assert {key: distill[key] for key in ("method", *params)} == {
                                           "method": "dkd", "alpha": 0.5, "temperature": 4.0,
                                           "tckd_weight": 1.0, "nckd_weight": 2.0, "warmup": 0}
    with pytest.raises(PresetError) as raised:
        tiny_preset("distill.method=dkd", "distill.nckd_weight=-1", "distill.peers=3")
    assert {problem.path for problem in raised.value.problems} == {
        "distill.nckd_weight", "distill.peers"}


def test_dkd_trains_a_student_from_the_cached_teacher_outputs(tmp_path: Path) -> None:
    preset = tiny_preset("distill.method=dkd")
    events: list[Any] = []
    store = RunStore(tmp_path / "runs", preset)
    result = run_experiment(preset, callbacks=[events.append], recorder=store)
    assert {"teacher", "student", "baseline"} <= set(result.summary["models"])
    assert "cache" in [event.phase for event in events if isinstance(event, PhaseStarted)]
    soft = [event.soft for event in events
            if isinstance(event, StepEnded) and event.phase == "student"]
    assert soft and all(value > 0 for value in soft)
    student = torch.load(store.path / "ckpt" / "student.pt", weights_only=True)["state_dict"]
    baseline = torch.load(store.path / "ckpt" / "baseline.pt", weights_only=True)["state_dict"]
    assert not all(torch.equal(student[key], baseline[key]) for key in student)


@pytest.mark.parametrize("labeled", ["all", "half", "none"])
@pytest.mark.parametrize(("alpha", "temperature", "tckd_weight", "nckd_weight", "ramp"), [
    (1.0, 4.0, 1.0, 8.0, 1.0), (0.5, 2.0, 1.5, 8.0, 0.5), (0.0, 1.0, 0.0, 2.0, 1.0),
    (0.3, 10.0, 2.0, 0.0, 1.0)])
def test_the_closed_form_step_matches_autograd_on_the_reference(
        labeled: str, alpha: float, temperature: float, tckd_weight: float,
        nckd_weight: float, ramp: float) -> None:
    generator = torch.Generator().manual_seed(7)
    student = (torch.randn(24, 10, generator=generator) * 3).requires_grad_()
    teacher = torch.randn(24, 10, generator=generator) * 4
    labels = torch.randint(0, 10, (24,), generator=generator)
    if labeled == "half":
        labels[::2] = UNLABELED
    elif labeled == "none":
        labels[:] = UNLABELED
    fully = labeled == "all"
    step = dkd_step(student, labels, teacher, alpha, temperature, tckd_weight, nckd_weight,
                    ramp, fully)
    step.backward()
    reference = student.detach().clone().requires_grad_()
    total, hard, soft = dkd_loss(reference, teacher, labels, alpha, temperature, tckd_weight,
                                 nckd_weight, ramp, fully)
    total.backward()
    assert step.values() == pytest.approx((total.item(), hard.item(), soft.item()),
                                          rel=1e-5, abs=1e-6)
    torch.testing.assert_close(student.grad, reference.grad, rtol=1e-4, atol=1e-7)
    assert student.grad.abs().sum() > 0


def test_the_dkd_objective_follows_the_schedule() -> None:
    """alpha and T at a step are the schedule's: the values are dkd_loss's at those."""
    schedule = Schedule("linear", 0.9, 6.0, alpha_end=0.1, temperature_end=2.0)
    objective = dkd_objective(0.9, 6.0, 1.0, 8.0, schedule=schedule)
    batch = Batch(torch.zeros(2, 1), torch.tensor(LABELS), {TEACHER_LOGITS: torch.tensor(TEACHER)},
                  progress=Progress(4, total=5, steps_per_epoch=5))
    values = objective([torch.tensor(STUDENT)], batch)[0].values()
    expected = dkd_loss(torch.tensor(STUDENT), torch.tensor(TEACHER), torch.tensor(LABELS),
                        0.1, 2.0, 1.0, 8.0, fully_labeled=True)
    assert values == pytest.approx(tuple(value.item() for value in expected), rel=1e-5)
    assert objective.metrics(batch.progress) == pytest.approx(
        {"alpha": 0.1, "temperature": 2.0, "kd_ramp": 1.0})


def test_offline_with_loss_dkd_is_what_method_dkd_was(tmp_path: Path) -> None:
    """The legacy name loads and trains exactly like offline + loss: dkd."""
    def student(*overrides: str) -> dict[str, torch.Tensor]:
        preset = tiny_preset("train.baseline=false", *overrides)
        store = RunStore(tmp_path / "runs", preset)
        assert run_experiment(preset, recorder=store).status == "completed"
        return torch.load(store.path / "ckpt" / "student.pt", weights_only=True)["state_dict"]

    legacy = student("distill.method=dkd", "distill.alpha=0.7", "distill.nckd_weight=2",
                     "distill.tckd_weight=0.5", "distill.warmup=1")
    offline = student("distill.loss=dkd", "distill.alpha=0.7", "distill.dkd_beta=2",
                      "distill.dkd_target_weight=0.5", "distill.dkd_warmup=1")
    kd = student("distill.alpha=0.7")
    assert all(torch.equal(legacy[key], offline[key]) for key in legacy)
    assert not all(torch.equal(kd[key], offline[key]) for key in kd)


def test_a_top_1_teacher_still_has_a_ranking_of_the_other_classes() -> None:
    """The top_k defense leaves one class far above the rest: p̂ must not vanish."""
    from workbench.core.distill.defenses import hide_outputs

    teacher = hide_outputs(torch.tensor(TEACHER) * 3, top_k=1)
    student = torch.tensor(STUDENT).requires_grad_()
    step = dkd_step(student, torch.tensor(LABELS), teacher, 0.5, 4.0, 1.0, 8.0, 1.0, True)
    step.backward()
    reference = torch.tensor(STUDENT).requires_grad_()
    total, hard, soft = dkd_loss(reference, teacher, torch.tensor(LABELS), 0.5, 4.0, 1.0, 8.0,
                                 fully_labeled=True)
    total.backward()
    assert step.values() == pytest.approx((total.item(), hard.item(), soft.item()), rel=1e-5)
    torch.testing.assert_close(student.grad, reference.grad, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("labeled", ["all", "half"])
def test_a_fixed_t_fit_gives_each_weight_its_own_part(labeled: str) -> None:
    """At a fixed T the teacher's side is packed once per fit, weights included: a step of
    the strategy's own train set and objective is dkd_loss's at those weights (swapping
    β and the target-class weight, or packing at another T, changes the values)."""
    from workbench.core.distill.strategy import TeachingStrategy

    class Rows:  # what a run context gives a strategy: train sets over the same rows
        def student_train_set(self, extras: dict | None = None) -> Any:
            from workbench.core.data.batches import TrainSet
            return TrainSet(torch.zeros(len(LABELS), 1), labels, torch.arange(len(LABELS)),
                            dict(extras or {}))

    labels = torch.tensor(LABELS)
    if labeled == "half":
        labels[::2] = UNLABELED
    teacher = torch.tensor(TEACHER)
    strategy = TeachingStrategy(Schedule("constant", 0.4, 3.0), loss="dkd", dkd_beta=5.0,
                                dkd_target_weight=0.25)
    train_set = strategy.train_set(Rows(), teacher)  # type: ignore[arg-type]
    batch = train_set.take(torch.arange(len(LABELS)), Progress(0, total=5, steps_per_epoch=5))
    values = strategy.objective(train_set)([torch.tensor(STUDENT)], batch)[0].values()
    expected = dkd_loss(torch.tensor(STUDENT), teacher, labels, 0.4, 3.0, 0.25, 5.0,
                        fully_labeled=labeled == "all")
    assert values == pytest.approx(tuple(value.item() for value in expected), rel=1e-5)
