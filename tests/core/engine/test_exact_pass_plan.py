"""``data.teacher_pass: exact`` plans ``loop.predict``'s own work: the run's thread count,
NCHW, predict's batches, the torch backend; its logits are keyed apart from the others."""
from __future__ import annotations

import torch

from workbench.core.engine.loop import PREDICT_BATCH
from workbench.core.engine.teacher_pass import pass_plan, plan_path
from workbench.core.measure.machine import torch_threads

CPU = torch.device("cpu")


def test_the_exact_plan_is_predicts_work_on_the_runs_threads() -> None:
    with torch_threads(1):
        plan = pass_plan(CPU, mode="exact")
    assert (plan.threads, plan.channels_last, plan.backend) == (1, False, "torch")
    assert plan.shard_rows == PREDICT_BATCH and plan.autocast is None
    assert plan_path(plan) == "exact"
    assert plan_path(pass_plan(CPU, mode="torch")) == "torch"


def test_over_two_ranks_each_shard_is_a_ranks_half_of_one_shard() -> None:
    """The progress still counts the shards of one process."""
    from workbench.core.engine.distributed import Ranks

    for mode in ("exact", "torch"):
        assert pass_plan(CPU, Ranks(1, 2), mode=mode).shard_rows == -(-PREDICT_BATCH // 2)
