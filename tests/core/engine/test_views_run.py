"""distill.views: the teacher's output on view v is the target of view v, steps stay the same."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from workbench.core.data.batches import Progress, natural_steps
from workbench.core.data.views import ViewTrainSet, needs_images, view_of
from workbench.core.distill.step_loss import TEACHER_LOGITS, cross_entropy_objective
from workbench.core.engine.loop import Hooks, predict
from workbench.core.engine.phases import cache_teacher
from workbench.core.models import build_model
from workbench.core.stream.control import RunControl
from workbench.core.stream.events import PhaseStarted

from tests.core.engine.test_context import context

VIEWS = 3


def views_context(tmp_path: Path) -> tuple[Any, torch.nn.Module]:
    ctx = context(f"distill.views={VIEWS}")
    teacher = build_model("mlp", {"hidden": [16]}, ctx.input_shape, 10)
    cache_teacher(ctx, teacher, tmp_path)
    return ctx, teacher


def test_the_cache_holds_the_teacher_output_on_every_view(tmp_path: Path) -> None:
    ctx, teacher = views_context(tmp_path)
    images = ctx.data.inputs.shape[0]
    assert ctx.teacher_logits.shape == (VIEWS * images, 10)  # the cache grows N-fold
    every = torch.arange(images)
    for view in range(VIEWS):
        own = predict(teacher, view_of(ctx.data.inputs, ctx.views, view, every))
        assert torch.allclose(ctx.teacher_logits[view * images:(view + 1) * images], own,
                              atol=1e-5)
    assert not torch.allclose(ctx.teacher_logits[images:2 * images],
                              ctx.teacher_logits[:images], atol=1e-3)
    stored = torch.load(next((tmp_path / "teacher-logits").glob("*.pt")), weights_only=True)
    assert stored["train"].shape == (VIEWS * images, 10)


def test_each_row_the_student_sees_carries_the_target_of_its_own_view(tmp_path: Path) -> None:
    ctx, teacher = views_context(tmp_path)
    train_set = ctx.distill_train_set(ctx.teacher_logits, 2.0)
    assert isinstance(train_set, ViewTrainSet) and len(train_set) == VIEWS * train_set.images
    positions = torch.randperm(len(train_set), generator=torch.Generator().manual_seed(0))[:200]
    batch = train_set.take(positions)
    assert (positions >= 2 * train_set.images).any()  # rows of the last view are among them
    expected = torch.softmax(predict(teacher, batch.inputs) / 2.0, dim=1)
    assert torch.allclose(batch.extras["probs"], expected, atol=1e-5)


def test_views_keep_the_steps_per_epoch_and_the_baseline_sees_them_too() -> None:
    ctx = context(f"distill.views={VIEWS}")
    events: list[Any] = []
    ctx.hooks = Hooks(events.append, RunControl())
    labeled = ctx.labeled_train_set()
    assert isinstance(labeled, ViewTrainSet) and labeled.images == len(ctx.data.labeled_rows)
    model = build_model("mlp", {"hidden": [8]}, ctx.input_shape, 10)
    ctx.fit_labels_only("baseline", model)
    ctx.fit(["student"], [build_model("mlp", {"hidden": [8]}, ctx.input_shape, 10)],
            cross_entropy_objective, ctx.student_train_set())
    steps = {event.phase: event.steps_per_epoch for event in events
             if isinstance(event, PhaseStarted)}
    plain = natural_steps(len(ctx.data.train_rows), ctx.preset.train.batch_size)
    assert steps == {"baseline": plain, "student": plain} and ctx.student_steps() == plain


def test_views_need_images() -> None:
    assert needs_images((1, 28, 28)) is None
    assert "(784,)" in (needs_images((784,)) or "")


def test_steps_read_ahead_carry_the_teacher_output_of_their_own_views(tmp_path: Path) -> None:
    """What a moving T's ``prepare`` reads for several steps is what each step takes."""
    ctx, _teacher = views_context(tmp_path)
    train_set = ctx.student_train_set({TEACHER_LOGITS: ctx.teacher_logits})
    order = torch.randperm(len(train_set), generator=torch.Generator().manual_seed(1))
    block = [order[:50], order[50:120], order[120:130]]
    assert (block[1] >= 2 * train_set.images).any()
    ahead = train_set.ahead(block, Progress(7, 100, 20))
    taken = [train_set.take(positions) for positions in block]
    assert torch.equal(ahead.extras[TEACHER_LOGITS],
                       torch.cat([batch.extras[TEACHER_LOGITS] for batch in taken]))
    assert torch.equal(ahead.labels, torch.cat([batch.labels for batch in taken]))
    assert ahead.sizes == [50, 70, 10] and [p.step for p in ahead.progress] == [7, 8, 9]
