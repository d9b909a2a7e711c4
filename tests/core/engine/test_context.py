"""RunContext: the run's own random stream, and what methods get from it."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from workbench.core.config.section import Section
from workbench.core.data.batches import Batch, TrainSet
from workbench.core.data.prepare import load_dataset, prepare
from workbench.core.distill.losses import hard_loss, soft_targets
from workbench.core.distill.method import StudentContext
from workbench.core.distill.offline import OfflineDistillation
from workbench.core.distill.self_distill import SelfDistillation
from workbench.core.distill.step_loss import GraphLoss, Objective, StepLoss
from workbench.core.distill.step_loss import cross_entropy_objective
from workbench.core.engine.context import RunContext
from workbench.core.engine.loop import Hooks, PhaseSpec, fit
from workbench.core.models import build_model
from workbench.core.stream.control import RunControl

from tests.core.conftest import tiny_preset

DROPOUT_STUDENT = "student={architecture: mlp, args: {hidden: [32], dropout: 0.3}}"


@dataclass
class RecordingContext(RunContext):
    """A real RunContext that also remembers what each fit was given."""

    seen: list[tuple[list[str], TrainSet]] = field(default_factory=list)

    def fit(self, phases: Sequence[str], models: Sequence[nn.Module], objective: Objective,
            train_set: TrainSet, recipe: Section | None = None,
            steps_per_epoch: int | None = None, augment: str = "none",
            shareable: bool = False) -> None:
        self.seen.append((list(phases), train_set))
        super().fit(phases, models, objective, train_set, recipe, steps_per_epoch, augment,
                    shareable)


def context(*overrides: str, kind: type[RunContext] = RunContext) -> Any:
    preset = tiny_preset("train.epochs=1", *overrides)
    device = torch.device("cpu")
    data = prepare(load_dataset(preset.data), preset.data, preset.train.seed, device)
    ctx = kind(preset, data, device, Hooks(lambda event: None, RunControl()))
    # a fixed linear "teacher" stands in for the cache phase
    weights = torch.randn(data.inputs[0].numel(), 10, generator=torch.Generator().manual_seed(3))
    ctx.teacher_logits = data.inputs.flatten(1) @ weights
    return ctx


def weights_of(model: nn.Module) -> dict[str, torch.Tensor]:
    return {key: value.detach().clone() for key, value in model.state_dict().items()}


def identical(first: nn.Module, second: nn.Module) -> bool:
    one, two = first.state_dict(), second.state_dict()
    return one.keys() == two.keys() and all(torch.equal(one[key], two[key]) for key in one)


def test_run_context_is_the_student_context_methods_are_typed_against() -> None:
    ctx: StudentContext = context()  # the protocol's members all exist on RunContext
    # the Protocol's declared members (a mutation tool adds helpers to the class dict)
    members = [name for name in StudentContext.__dict__
               if not name.startswith("_") and "mutmut" not in name]
    assert "fit" in members and "new_student" in members
    for name in members:
        assert callable(getattr(ctx, name)), name


def test_new_models_leave_the_process_generator_alone_and_match_a_seeded_build() -> None:
    ctx = context(DROPOUT_STUDENT)
    before = torch.random.get_rng_state()
    built = ctx.new_student(seed_offset=2)
    assert torch.equal(torch.random.get_rng_state(), before)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(ctx.preset.train.seed + 2)  # what new_model used to do, globally
        expected = build_model("mlp", {"hidden": [32], "dropout": 0.3}, ctx.input_shape, 10)
    assert identical(built, expected)


def test_a_fit_with_dropout_leaves_the_process_generator_alone_and_draws_as_before() -> None:
    """Same weights and dropout masks as a process seeded before each model, bit for bit."""
    ctx = context(DROPOUT_STUDENT)
    before = torch.random.get_rng_state()
    student = ctx.new_student()
    ctx.fit_labels_only("baseline", student)
    assert torch.equal(torch.random.get_rng_state(), before)
    spec = PhaseSpec(ctx.preset.train, ctx.preset.train.seed, ctx.student_steps())
    val = (ctx.data.val_inputs, ctx.data.val_labels)
    hooks = Hooks(lambda event: None, RunControl())

    def trained_on_the_global_generator(reseed_before_fit: int | None) -> nn.Module:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(ctx.preset.train.seed)
            model = build_model("mlp", {"hidden": [32], "dropout": 0.3}, ctx.input_shape, 10)
            if reseed_before_fit is not None:
                torch.manual_seed(reseed_before_fit)
            fit(spec, ["baseline"], [model], cross_entropy_objective, ctx.labeled_train_set(),
                val, hooks)
        return model

    assert identical(student, trained_on_the_global_generator(None))
    assert not identical(student, trained_on_the_global_generator(123))  # dropout matters


def test_distill_targets_are_the_teacher_softened_at_the_temperature() -> None:
    ctx = context()
    extras = ctx.distill_train_set(ctx.teacher_logits, 4.0).extras
    assert torch.allclose(extras["probs"], F.softmax(ctx.teacher_logits / 4.0, dim=1))
    assert not torch.allclose(extras["probs"], F.softmax(ctx.teacher_logits, dim=1), atol=1e-3)


def reference_kd(alpha: float, temperature: float) -> Objective:
    """Hinton KD written out with autograd from softmax(teacher / T) targets."""

    def objective(logits: Sequence[torch.Tensor], batch: Batch) -> list[StepLoss]:
        [own] = logits
        hard = hard_loss(own, batch.labels)
        soft = F.kl_div(F.log_softmax(own / temperature, dim=1), batch.extras["targets"],
                        reduction="batchmean")
        return [GraphLoss(alpha * hard + (1 - alpha) * temperature ** 2 * soft, hard, soft)]

    return objective


def test_offline_student_trains_as_written_out_kd_at_its_temperature() -> None:
    alpha, temperature = 0.3, 4.0
    ctx = context()
    student = OfflineDistillation(alpha, temperature).train(ctx)["student"]
    reference_ctx = context()
    reference = reference_ctx.new_student()
    targets = F.softmax(reference_ctx.teacher_logits / temperature, dim=1)
    reference_ctx.fit(["student"], [reference], reference_kd(alpha, temperature),
                      reference_ctx.student_train_set({"targets": targets}))
    learned, expected = student.state_dict(), reference.state_dict()
    assert all(torch.allclose(learned[key], expected[key], atol=1e-5) for key in expected)
    untaught = context().new_student()
    assert not identical(student, untaught)


def test_each_self_distilled_generation_learns_from_the_one_before() -> None:
    temperature = 4.0
    ctx = context(kind=RecordingContext)
    models = SelfDistillation(generations=2, alpha=0.5, temperature=temperature).train(ctx)
    names = ["gen-0", "gen-1", "student"]
    assert [phases for phases, _ in ctx.seen] == [[name] for name in names]
    first_set = ctx.seen[0][1]
    assert not first_set.extras and torch.equal(first_set.rows, ctx.data.labeled_rows)
    teacher_probs = soft_targets(ctx.teacher_logits, temperature).probs
    for index in (1, 2):
        given = ctx.seen[index][1].extras["probs"]
        previous = soft_targets(ctx.logits(models[names[index - 1]]), temperature).probs
        itself = soft_targets(ctx.logits(models[names[index]]), temperature).probs
        assert torch.equal(given, previous)
        assert not torch.allclose(given, itself, atol=1e-4)
        assert not torch.allclose(given, teacher_probs, atol=1e-2)
    assert not identical(models["gen-1"], models["student"])
