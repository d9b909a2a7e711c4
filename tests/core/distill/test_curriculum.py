"""Curricula: the pool follows the pacing and the teacher's difficulty order; self-paced follows
the student; batches stay seeded and the step budget stays the same."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import torch

from tests.core.conftest import tiny_preset
from workbench.core.data.batches import UNLABELED, Batch, Progress
from workbench.core.distill import curriculum as curriculum_module
from workbench.core.distill.curriculum import (FULL_AT, STAGES, SelfPaced, build_curriculum,
                                               pacing, teacher_difficulty)
from workbench.core.distill.step_loss import TEACHER_LOGITS, kd_objective
from workbench.core.engine.pipeline import run_experiment
from workbench.core.stream.events import EpochEnded, StepEnded

ROWS = 40


@pytest.fixture(autouse=True)
def _fast_synthetic(memoized_synthetic: None) -> None:
    """Reuse the session's synthetic images."""


@pytest.mark.parametrize(("kind", "fraction", "expected"), [
    ("linear", 0.0, 0.2), ("linear", FULL_AT / 2, 0.6), ("linear", FULL_AT, 1.0),
    ("linear", 1.0, 1.0),
    ("root", 0.0, 0.2), ("root", FULL_AT / 2, math.sqrt(0.04 + 0.96 / 2)), ("root", 0.9, 1.0),
    ("step", 0.0, 0.2), ("step", FULL_AT / STAGES - 1e-9, 0.2),
    ("step", FULL_AT / STAGES, 0.2 + 0.8 / STAGES), ("step", FULL_AT, 1.0),
])
def test_pacing_functions(kind: str, fraction: float, expected: float) -> None:
    assert pacing(kind, 0.2, fraction) == pytest.approx(expected)


def known_difficulty() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Teacher logits whose loss on row i grows with a shuffled rank; some rows unlabeled."""
    generator = torch.Generator().manual_seed(0)
    rank = torch.randperm(ROWS, generator=generator)
    labels = torch.randint(0, 5, (ROWS,), generator=generator)
    logits = torch.zeros(ROWS, 5)
    logits[torch.arange(ROWS), labels] = 10.0 - 0.2 * rank.float()  # confident -> easy
    labels[rank % 4 == 3] = UNLABELED  # transfer-set rows: difficulty from confidence
    return logits, labels, rank


def test_difficulty_is_the_teachers_loss_on_the_label_or_its_doubt_when_unlabeled() -> None:
    logits, labels, rank = known_difficulty()
    difficulty = teacher_difficulty(logits, labels)
    log_probs = torch.log_softmax(logits, 1)
    labeled = labels >= 0
    assert torch.allclose(difficulty[labeled], -log_probs[labeled, labels[labeled]])
    assert torch.allclose(difficulty[~labeled], -log_probs[~labeled].max(1).values)
    assert torch.equal(torch.argsort(difficulty), torch.argsort(rank))


@pytest.mark.parametrize("kind", ["easy-first", "hard-first"])
@pytest.mark.parametrize("pace", ["linear", "root", "step"])
def test_the_pool_at_each_step_is_the_pacing_share_of_the_teacher_order(kind, pace) -> None:
    logits, labels, rank = known_difficulty()
    rows = torch.arange(ROWS)
    curriculum = build_curriculum(kind, pace, 0.25, logits, labels, rows)
    assert curriculum is not None
    order = torch.argsort(rank if kind == "easy-first" else -rank)
    steps, total = 5, 20
    generator = torch.Generator().manual_seed(1)
    for epoch in range(4):
        first = Progress(epoch * steps, total, steps)
        batches = list(curriculum.epoch(8, steps, first, generator))
        assert len(batches) == steps  # the step budget without a curriculum
        for index, positions in enumerate(batches):
            progress = Progress(first.step + index, total, steps)
            size = math.ceil(pacing(pace, 0.25, progress.fraction) * ROWS - 1e-9)
            pool = set(order[:size].tolist())
            assert torch.equal(curriculum.eligible(progress), order[:size])
            assert set(positions.tolist()) <= pool
    assert curriculum.metrics(Progress(0, total, steps)) == {"eligible_fraction": 0.25}
    first_pool = set(curriculum.eligible(Progress(0, total, steps)).tolist())
    easiest = set(torch.argsort(rank)[:10].tolist())
    assert (first_pool == easiest) is (kind == "easy-first")


def test_none_means_no_sampler() -> None:
    logits, labels, _ = known_difficulty()
    assert build_curriculum("none", "linear", 0.25, logits, labels, torch.arange(ROWS)) is None


def test_batches_are_seeded() -> None:
    logits, labels, _ = known_difficulty()

    def draw(seed: int) -> list[list[int]]:
        curriculum = build_curriculum("easy-first", "linear", 0.5, logits, labels,
                                      torch.arange(ROWS))
        generator = torch.Generator().manual_seed(seed)
        return [batch.tolist() for batch in curriculum.epoch(8, 4, Progress(0, 8, 4), generator)]

    assert draw(3) == draw(3) and draw(3) != draw(4)


def test_a_train_subset_is_ordered_by_its_own_rows() -> None:
    """Positions index the train set's rows (a labeled split, a limit), not the dataset."""
    logits, labels, rank = known_difficulty()
    rows = torch.arange(ROWS - 1, -1, -2)  # every other row, backwards
    curriculum = build_curriculum("easy-first", "linear", 1.0, logits, labels, rows)
    by_position = rank[rows]
    assert torch.equal(curriculum.order, torch.argsort(by_position, stable=True))


def test_views_draw_images_from_the_pool_and_any_of_their_views() -> None:
    logits, labels, rank = known_difficulty()
    curriculum = build_curriculum("easy-first", "linear", 0.25, logits, labels,
                                  torch.arange(ROWS), views=3)
    generator = torch.Generator().manual_seed(0)
    batches = list(curriculum.epoch(16, 2, Progress(0, 100, 2), generator))
    for step, positions in enumerate(batches):
        pool = set(curriculum.eligible(Progress(step, 100, 2)).tolist())
        assert set((positions % ROWS).tolist()) <= pool <= set(torch.argsort(rank)[:11].tolist())
    assert set((torch.cat(batches) // ROWS).tolist()) == {0, 1, 2}


def test_self_paced_follows_the_students_running_losses() -> None:
    logits, labels, rank = known_difficulty()
    curriculum = build_curriculum("self-paced", "linear", 0.25, logits, labels,
                                  torch.arange(ROWS))
    easiest, hardest = int(torch.argmin(rank)), int(torch.argmax(rank))
    progress = Progress(0, 100, 4)
    assert easiest in curriculum.eligible(progress).tolist()
    # the student finds the teacher's easiest image hard, and its hardest one easy
    student = torch.full((2, 5), -5.0)
    student[0, (int(labels[easiest]) + 1) % 5] = 5.0
    hardest_target = int(labels[hardest]) if labels[hardest] >= 0 else int(logits[hardest].argmax())
    student[1, hardest_target] = 20.0
    objective = SelfPaced(kd_objective(0.5, 2.0), curriculum)
    batch = Batch(torch.zeros(2, 1), labels[[easiest, hardest]],
                  {TEACHER_LOGITS: logits[[easiest, hardest]]}, False,
                  torch.tensor([easiest, hardest]), progress)
    objective([student.requires_grad_()], batch)
    list(curriculum.epoch(4, 4, progress, torch.Generator().manual_seed(0)))  # re-sorts
    pool = curriculum.eligible(progress).tolist()
    assert easiest not in pool and hardest in pool
    assert objective.metrics(progress) == {"alpha": 0.5, "temperature": 2.0}
    saved = curriculum.state()
    again = build_curriculum("self-paced", "linear", 0.25, logits, labels, torch.arange(ROWS))
    again.load_state(saved)
    assert torch.equal(again.order, curriculum.order)


def run_events(*overrides: str) -> list[Any]:
    events: list[Any] = []
    result = run_experiment(tiny_preset("train.baseline=false", *overrides),
                            callbacks=[events.append])
    assert result.status == "completed"
    return events


@pytest.mark.parametrize("curriculum", ["easy-first", "self-paced"])
def test_a_run_with_a_curriculum_keeps_its_steps_and_reports_the_pool(curriculum: str) -> None:
    events = run_events("data.labeled=300", f"distill.curriculum={curriculum}",
                        "distill.pacing=step", "distill.start_fraction=0.2")
    steps = [event for event in events if isinstance(event, StepEnded)
             and event.phase == "student"]
    assert len(steps) == 2 * 8  # as without a curriculum: 1,000 rows in batches of 128
    shares = [event.metrics["eligible_fraction"] for event in events
              if isinstance(event, EpochEnded) and event.phase == "student"]
    assert shares == pytest.approx([pacing("step", 0.2, 7 / 15), 1.0], abs=1e-3)


def test_easy_first_trains_on_the_teachers_easiest_images_first(tmp_path: Path) -> None:
    """Weights differ from an uncurriculumed run with the same seed: the batches changed."""
    def student(*overrides: str) -> dict[str, torch.Tensor]:
        from workbench.core.runs.store import RunStore

        preset = tiny_preset("train.baseline=false", "train.epochs=1", *overrides)
        store = RunStore(tmp_path / "runs", preset)
        run_experiment(preset, recorder=store)
        return torch.load(store.path / "ckpt" / "student.pt", weights_only=True)["state_dict"]

    plain, easy = student(), student("distill.curriculum=easy-first")
    assert not all(torch.equal(plain[key], easy[key]) for key in plain)
    assert json.dumps(sorted(plain)) == json.dumps(sorted(easy))


@pytest.mark.parametrize("kind", ["easy-first", "hard-first", "self-paced"])
def test_the_fast_sort_orders_exactly_as_a_stable_float_sort(kind: str) -> None:
    """Integer keys from the losses' bits: the same order, ties and -0.0 included."""
    losses = torch.rand(5000, generator=torch.Generator().manual_seed(0)) * 4
    losses[::7] = 0.5  # ties
    losses[1::11] = 0.0
    losses[2::13] = -0.0  # -log(1.0), compares equal to 0.0
    losses[3::17] = float("inf")
    losses[4::19] = 1e-30  # subnormal-ish, tiny but above 0
    curriculum = build_curriculum(kind, "linear", 0.2, torch.zeros(5000, 3),
                                  torch.zeros(5000, dtype=torch.long), torch.arange(5000))
    assert curriculum is not None
    for difficulty in (losses, losses - 1.0):  # negative keys: the float sort itself
        curriculum.difficulty = difficulty.clone()
        keys = -difficulty if kind == "hard-first" else difficulty
        assert torch.equal(curriculum._sorted(), torch.argsort(keys, stable=True))


def written_step_by_step(difficulty: torch.Tensor, targets: torch.Tensor,
                         seen: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
    """The rule, one step at a time: each step's losses replace the rows it drew, a row
    drawn twice in one step keeping the larger."""
    difficulty = difficulty.clone()
    for positions, logits in seen:
        losses = torch.nn.functional.cross_entropy(logits, targets[positions], reduction="none")
        for row in positions.unique().tolist():
            difficulty[row] = losses[positions == row].max()
    return difficulty


@pytest.mark.parametrize("settle_elements", [1 << 21, 50])
def test_self_paced_losses_worked_out_later_are_the_ones_written_step_by_step(
        settle_elements: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kept logits settled at the re-sort (or when too many are kept): rows drawn in
    several steps take the latest step's loss, rows drawn twice in one step the larger."""
    monkeypatch.setattr(curriculum_module, "SETTLE_ELEMENTS", settle_elements)
    logits, labels, _rank = known_difficulty()
    curriculum = build_curriculum("self-paced", "linear", 0.25, logits, labels,
                                  torch.arange(ROWS))
    assert curriculum is not None
    before = curriculum.difficulty.clone()
    generator = torch.Generator().manual_seed(3)
    seen = [(torch.randint(0, ROWS // 4, (12,), generator=generator),
             torch.randn(12, 5, generator=generator) * 3) for _ in range(9)]
    for positions, student in seen:
        curriculum.observe(positions, student)
    settled = curriculum.state()["difficulty"]
    expected = written_step_by_step(before, curriculum.targets, seen)
    assert not torch.equal(expected, before)
    assert torch.equal(settled, expected)
    assert torch.equal(curriculum._sorted(), torch.argsort(expected, stable=True))
