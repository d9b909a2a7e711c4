"""What a DDP rank does without a second process: the weight its gradient gets for a
step, which failed collectives become one message for people, and which presets and
environments are refused (each check alone)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from workbench.core.engine import distributed_run
from workbench.core.engine.distributed import Ranks
from workbench.core.errors import RunFailed
from workbench.core.presets import load_experiment


def test_each_step_sets_the_weight_the_gradient_hook_applies() -> None:
    ranks = Ranks(1, 2)
    ranks.share(torch.arange(33))  # the last, uneven batch: rank 1 has 16 of 33 rows
    assert ranks._weight.value == 16 / 33  # noqa: SLF001 - what _weighted_sum multiplies by
    ranks.share(torch.arange(96))
    assert ranks._weight.value == 1 / 2  # noqa: SLF001


def test_a_lost_peer_becomes_one_message_and_an_own_failure_stays_its_own() -> None:
    ranks = Ranks(1, 2, timeout_s=30)
    with pytest.raises(RunFailed) as caught, ranks.talking():
        raise RuntimeError("[../gloo/transport/tcp/pair.cc:534] Connection closed by peer\nmore")
    assert str(caught.value) == ("rank 1 of 2: another process of the run failed or did not "
                                 "answer within 30 s (torch: Connection closed by peer)")
    with pytest.raises(RuntimeError, match="out of memory") as own, ranks.talking():
        raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
    assert not isinstance(own.value, RunFailed)


def test_a_rank_that_ended_by_itself_gives_its_own_code_and_a_killed_one_a_message() -> None:
    own = distributed_run._failed({0: SimpleNamespace(exitcode=2)})  # noqa: SLF001
    assert (own.exit_code, own.message) == (2, None)  # rank 0 printed why itself
    killed = distributed_run._failed({1: SimpleNamespace(exitcode=-9),  # noqa: SLF001
                                      0: SimpleNamespace(exitcode=-15)})
    assert killed.exit_code == 1
    assert killed.message == ("a process of the run failed (rank 0 ended by signal 15, "
                              "rank 1 ended by signal 9)")


def test_a_torchrun_environment_needs_its_rendezvous_address() -> None:
    assert distributed_run.rank_env({"WORLD_SIZE": "2", "RANK": "1"}) is None
    assert distributed_run.rank_env({"WORLD_SIZE": "2", "RANK": "x", "MASTER_ADDR": "h"}) is None


@pytest.mark.parametrize("overrides, field", [
    (["teacher=[synthetic-cnn, synthetic-cnn]"], "teacher"),
    (["train.device=mps"], "train.device"),
    (["distill.method=online"], "distill.method"),
])
def test_each_obstacle_alone_is_named(overrides: list[str], field: str) -> None:
    preset = load_experiment("synthetic-quick", overrides)
    assert [problem.path for problem in distributed_run.distributed_problems(preset, 2)] == [field]


def test_a_teacher_with_weights_is_not_trained_so_its_batch_size_does_not_matter() -> None:
    preset = load_experiment("synthetic-quick", ["teacher=fashion-cnn-teacher",
                                                 "teacher_train.batch_size=63"])
    assert distributed_run.distributed_problems(preset, 2) == []


@pytest.mark.parametrize("world", [2, 1])
def test_a_peer_lost_outside_the_loops_collectives_is_still_one_message(
        monkeypatch: pytest.MonkeyPatch, world: int) -> None:
    """torch makes collectives of its own (DDP's forward syncs bucket order once): a peer
    lost there fails the run with the same message; one process keeps torch's words."""
    from workbench.core.engine import pipeline

    def lost(*_: object, **__: object) -> None:
        raise RuntimeError("[../third_party/gloo/gloo/transport/tcp/pair.cc:598] "
                           "Connection closed by peer [127.0.0.1]:29500")

    monkeypatch.setattr(pipeline, "current_ranks", lambda: Ranks(0, world))
    monkeypatch.setattr(pipeline, "_run_phases", lost)
    with pytest.raises(RunFailed) as caught:
        pipeline.run_experiment(load_experiment("synthetic-quick"))
    if world == 2:
        assert str(caught.value).startswith("rank 0 of 2: another process of the run failed "
                                            "(torch: Connection closed by peer")
    else:
        assert str(caught.value).startswith("RuntimeError: [../third_party/gloo")
