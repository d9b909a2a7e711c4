"""The pieces of a DDP run that need no second process: splits, checks, the one-process case.

Two real gloo processes against one are tested in tests/cli/test_ddp.py.
"""
from __future__ import annotations

import pytest
import torch
from torch import nn

from workbench.core.engine import distributed_run
from workbench.core.engine.distributed import SINGLE_PROCESS, Ranks, part_of, split_bounds
from workbench.core.engine.distributed_run import (check_data_fits_ranks, distributed_problems,
                                                   rank_env)
from workbench.core.errors import PresetError
from workbench.core.presets import load_experiment
from workbench.core.stream.control import RunControl


@pytest.mark.parametrize("rows", [0, 1, 2, 3, 33, 64, 1057])
@pytest.mark.parametrize("parts", [1, 2, 3, 8])
def test_parts_cover_every_row_once_in_order_and_differ_by_one_at_most(rows: int,
                                                                      parts: int) -> None:
    bounds = split_bounds(rows, parts)
    assert len(bounds) == parts
    covered = [row for start, stop in bounds for row in range(start, stop)]
    assert covered == list(range(rows))
    sizes = [stop - start for start, stop in bounds]
    assert max(sizes) - min(sizes) <= 1
    assert sizes == [len(piece) for piece in torch.arange(rows).tensor_split(parts)]


def test_a_share_weighs_its_gradient_by_its_rows() -> None:
    batch = torch.arange(100, 133)  # an epoch's last batch of 33 rows over 2 ranks
    first, second = part_of(batch, 0, 2), part_of(batch, 1, 2)
    assert (first.weight, second.weight) == (17 / 33, 16 / 33)
    assert torch.equal(torch.cat([first.positions, second.positions]), batch)
    assert (first.part, second.part) == (slice(0, 17), slice(17, 33))  # where its flips are


def test_a_rank_left_without_rows_borrows_one_that_counts_for_nothing() -> None:
    last = torch.tensor([7])  # 1 row over 2 ranks: DDP still needs both in the step
    owner, borrower = part_of(last, 0, 2), part_of(last, 1, 2)
    assert owner.owned and owner.weight == 1.0
    assert not borrower.owned and borrower.weight == 0.0
    assert borrower.positions.tolist() == [7] and borrower.part == slice(0, 1)
    assert Ranks(1, 2).share(last).weight == 0.0  # no process group needed to split


def test_one_process_is_the_identity_everywhere() -> None:
    positions = torch.tensor([5, 3, 9])
    share = SINGLE_PROCESS.share(positions)
    assert share.positions is positions and share.weight == 1.0
    model = nn.Linear(2, 2)
    assert SINGLE_PROCESS.wrap([model])[0] is model  # no DDP wrapper, no process group
    losses = [object()]
    assert SINGLE_PROCESS.reduced(losses, share, RunControl()) is losses
    assert SINGLE_PROCESS.summed((3, 4)) == (3, 4)
    assert SINGLE_PROCESS.all_agree(False) is False
    predict = lambda inputs, on_batch=None: inputs  # noqa: E731
    assert SINGLE_PROCESS.sharded(predict) is predict
    assert SINGLE_PROCESS.writer


def test_torchrun_environment_makes_a_rank_and_a_plain_one_none() -> None:
    assert rank_env({}) is None
    assert rank_env({"WORLD_SIZE": "1", "RANK": "0", "MASTER_ADDR": "h"}) is None
    env = rank_env({"WORLD_SIZE": "4", "RANK": "3", "LOCAL_RANK": "1", "MASTER_ADDR": "h"})
    assert env is not None and (env.rank, env.world, env.local_rank) == (3, 4, 1)


def test_problems_name_the_fields_that_stand_in_the_way() -> None:
    preset = load_experiment("synthetic-quick", ["train.batch_size=96",
                                                 "teacher_train.batch_size=100"])
    paths = {world: {problem.path for problem in distributed_problems(preset, world)}
             for world in (2, 3, 5)}
    assert paths == {2: set(), 3: {"teacher_train.batch_size"},  # 96 = 3 x 32
                     5: {"train.batch_size"}}  # 100 = 5 x 20, the teacher is trained here
    qat = load_experiment("synthetic-quick", ["green.qat=true"])
    assert {problem.path for problem in distributed_problems(qat, 2)} == {"green"}
    paced = load_experiment("synthetic-quick", ["distill.curriculum=self-paced"])
    assert {problem.path for problem in distributed_problems(paced, 2)} == {"distill.curriculum"}


def test_streamed_data_is_refused_over_several_ranks_and_kept_in_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    preset = load_experiment("synthetic-quick", [])

    class Streamed:  # what a streamed dataset's inputs are: not an in-memory tensor
        shape = (10, 1, 28, 28)

    check_data_fits_ranks(preset, Streamed())  # one process: streaming is fine
    monkeypatch.setattr(distributed_run, "current_ranks", lambda: Ranks(0, 2))
    check_data_fits_ranks(preset, torch.zeros(10, 1, 28, 28))  # in memory: fine
    with pytest.raises(PresetError, match="data.memory_limit_mb"):
        check_data_fits_ranks(preset, Streamed())
