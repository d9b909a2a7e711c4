"""Steps read ahead: with a moving T the teacher's side of a block of steps is made at
once, each row at its own step's T, and the fit is the one made step by step."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from torch import nn

from workbench.core.config.section import Section
from workbench.core.data.batches import TrainSet
from workbench.core.distill import dkd as dkd_module
from workbench.core.distill import step_loss
from workbench.core.distill.curriculum import SelfPaced, build_curriculum
from workbench.core.distill.dkd import DKDObjective
from workbench.core.distill.schedule import Schedule
from workbench.core.distill.step_loss import TEACHER_LOGITS, KDObjective
from workbench.core.engine import steps_ahead
from workbench.core.engine.loop import Hooks, PhaseSpec, fit
from workbench.core.engine.steps_ahead import blocks
from workbench.core.stream.control import RunControl

ROWS, BATCH, CLASSES = 200, 8, 5  # 25 steps an epoch: blocks of 4 below, self-paced stretches of 6
MOVING = Schedule("cosine", 0.3, 6.0, alpha_end=0.8, temperature_end=1.5)


@pytest.fixture(autouse=True)
def _small_blocks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(steps_ahead, "BLOCK_STEPS", 4)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class Drawn:
    """Positions of ``count`` steps, counting how many were drawn so far."""

    def __init__(self, count: int) -> None:
        self.count, self.drawn = count, 0

    def __iter__(self) -> Iterator[torch.Tensor]:
        for step in range(self.count):
            self.drawn += 1
            yield torch.tensor([step])


def test_blocks_stop_at_their_size_and_at_the_fixed_steps_and_draw_nothing_early() -> None:
    drawn = Drawn(14)
    seen = []
    for block in blocks(iter(drawn), fixed=6, size=4):
        seen.append([int(positions) for positions in block])
        assert drawn.drawn == seen[-1][-1] + 1  # nothing of the next block drawn yet
    assert seen == [[0, 1, 2, 3], [4, 5], [6, 7, 8, 9], [10, 11], [12, 13]]


def data(unlabeled: int) -> tuple[TrainSet, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(ROWS, 6, generator=generator)
    labels = torch.randint(0, CLASSES, (ROWS,), generator=generator)
    labels[:unlabeled] = -1
    teacher = torch.randn(ROWS, CLASSES, generator=generator) * 3
    return TrainSet(inputs, labels, torch.arange(ROWS), {TEACHER_LOGITS: teacher}), teacher


@dataclass(frozen=True)
class StepByStep:
    """The same objective with nothing made ahead: the teacher's side made at every step."""

    inner: Any
    prepare = None

    def __call__(self, logits: Any, batch: Any) -> Any:
        return self.inner(logits, batch)


def trained(objective: Any, train_set: TrainSet) -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, CLASSES))
    recipe = Section({"epochs": 2, "batch_size": BATCH, "lr": 0.05, "optimizer": "adam",
                      "weight_decay": 0.0, "schedule": "constant"})
    fit(PhaseSpec(recipe, seed=3), ["student"], [model], objective, train_set, None,
        Hooks(lambda event: None, RunControl()))
    return model.state_dict()


def objectives(loss: str) -> Any:
    return (DKDObjective(MOVING, 1.0, 8.0) if loss == "dkd" else KDObjective(MOVING))


@pytest.mark.parametrize("unlabeled", [0, 60])
@pytest.mark.parametrize("curriculum", ["none", "easy-first", "self-paced"])
@pytest.mark.parametrize("loss", ["kd", "dkd"])
def test_a_fit_read_ahead_is_the_fit_made_step_by_step(loss: str, curriculum: str,
                                                       unlabeled: int) -> None:
    """Same weights to the last bit: each row softened at its own step's T, and a
    self-paced curriculum's next stretch drawn only after this one's losses are in."""
    results = []
    for ahead in (True, False):
        train_set, teacher = data(unlabeled)
        sampler = build_curriculum(curriculum, "linear", 0.3, teacher, train_set.labels,
                                   train_set.rows)
        if sampler is not None:
            train_set = TrainSet(train_set.inputs, train_set.labels, train_set.rows,
                                 train_set.extras, sampler)
        objective = objectives(loss)
        if curriculum == "self-paced":
            objective = SelfPaced(objective, sampler)  # type: ignore[arg-type]
        assert callable(objective.prepare)
        results.append(trained(objective if ahead else StepByStep(objective), train_set))
    for name, value in results[0].items():
        assert torch.equal(value, results[1][name]), name


@pytest.mark.parametrize("loss", ["kd", "dkd"])
def test_the_teachers_side_is_made_once_a_block_not_once_a_step(
        loss: str, monkeypatch: pytest.MonkeyPatch) -> None:
    module, name = ((dkd_module, "teacher_parts") if loss == "dkd"
                    else (step_loss, "soft_targets"))
    made, real = [], getattr(module, name)

    def counting(teacher_logits: torch.Tensor, *args: Any) -> Any:
        made.append(int(teacher_logits.shape[0]))
        return real(teacher_logits, *args)

    monkeypatch.setattr(module, name, counting)
    trained(objectives(loss), data(0)[0])
    assert made == [4 * BATCH] * 6 + [BATCH] + [4 * BATCH] * 6 + [BATCH]  # 25 steps: 6 x 4 + 1


@pytest.mark.parametrize("loss", ["kd", "dkd"])
def test_a_fixed_t_makes_nothing_ahead(loss: str) -> None:
    fixed = Schedule("linear", 0.3, 4.0, alpha_end=0.9)  # alpha moves, T does not
    objective = DKDObjective(fixed, 1.0, 8.0) if loss == "dkd" else KDObjective(fixed)
    assert objective.prepare is None
