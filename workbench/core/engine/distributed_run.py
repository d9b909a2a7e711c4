"""A run over several processes: what may run so, and starting it with torchrun's machinery.

``workbench run PRESET --nproc N`` calls torchrun's own entry point
(``torch.distributed.run``, standalone rendezvous on this machine) to start N
copies of ``python -m workbench run PRESET ...``; each copy finds the launcher's
environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR...) and joins the process
group. Started by ``torchrun`` directly, on one machine or several, the same
copies do the same. There is no launcher of our own: torchrun already restarts,
rendezvouses across machines and stops the survivors when one process fails.

The backend follows ``train.device``: gloo on the CPU, NCCL on CUDA (one GPU per
rank, ``cuda:LOCAL_RANK``). Every collective has the process group's timeout, so a
rank that dies or hangs ends the others' run with a message (exit 1), not a hang.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist

from workbench.core.engine.device import resolve_device
from workbench.core.engine.distributed import Ranks, current_ranks, forget, remember
from workbench.core.errors import PresetError, Problem
from workbench.core.green.stage import wanted as green_wanted

# Methods whose fits all go through the loop's DDP path, checked 2-process against 1.
# Others (online peers, self-distillation, assistants) fit in ways not yet checked.
DISTRIBUTED_METHODS = ("offline", "dkd")
DEFAULT_TIMEOUT_S = 300.0  # longest wait for another rank at a collective


@dataclass(frozen=True)
class RankEnv:
    """Where torchrun put this process: its rank, the run's size, its rank on this machine."""

    rank: int
    world: int
    local_rank: int


def rank_env(environ: dict[str, str] | None = None) -> RankEnv | None:
    """This process's place in a torchrun job of 2+ processes, or None (a plain run)."""
    environ = dict(os.environ) if environ is None else environ
    try:
        world = int(environ.get("WORLD_SIZE", "1"))
        rank, local = int(environ.get("RANK", "0")), int(environ.get("LOCAL_RANK", "0"))
    except ValueError:
        return None
    return RankEnv(rank, world, local) if world > 1 and "MASTER_ADDR" in environ else None


def distributed_problems(preset: Any, world: int) -> list[Problem]:
    """Why ``preset`` cannot train over ``world`` processes (empty: it can)."""
    problems = []
    method = preset.distill["method"]
    if method not in DISTRIBUTED_METHODS:
        problems.append(Problem("distill.method", f"'{method}' cannot train over several "
                                f"processes yet (--nproc {world}); methods that can: "
                                f"{', '.join(DISTRIBUTED_METHODS)}"))
    batches = [("train.batch_size", preset.train.batch_size)]
    if preset.teacher.weights is None and not preset.teacher.black_box:
        batches.append(("teacher_train.batch_size", preset.teacher_train.batch_size))
    for field, size in batches:
        if size % world:
            problems.append(Problem(field, f"{size} rows do not split evenly over {world} "
                                    f"processes (--nproc {world}): the global batch is split "
                                    f"across them; give a multiple of {world}"))
    if len(preset.teachers) > 1:
        problems.append(Problem("teacher", "several teachers cannot train over several "
                                "processes yet; give one teacher or leave out --nproc"))
    if green_wanted(preset.green):
        problems.append(Problem("green", "green.qat and green.prune cannot run over several "
                                "processes yet; turn them off or leave out --nproc"))
    if preset.distill.get("curriculum") == "self-paced":
        problems.append(Problem("distill.curriculum", "'self-paced' follows each step's "
                                "losses on one process; use easy-first/hard-first or none"))
    if str(preset.train.device) == "mps":
        problems.append(Problem("train.device", "'mps' has no DDP backend; use cpu or cuda"))
    return problems


def check_distributed(preset: Any, world: int) -> None:
    """Refuse, before anything runs, a preset that cannot train over ``world`` processes.

    Raises:
        PresetError: naming every field that stands in the way.
    """
    problems = distributed_problems(preset, world)
    if problems:
        raise PresetError(preset.source, problems)


def check_data_fits_ranks(preset: Any, inputs: Any) -> None:
    """Refuse a streamed dataset over several processes (before the run): its batches
    and teacher outputs go through files and workers not yet split between ranks.

    Raises:
        PresetError: naming ``data.memory_limit_mb``.
    """
    if current_ranks().distributed and not isinstance(inputs, torch.Tensor):
        raise PresetError(preset.source, [Problem(
            "data.memory_limit_mb", "this dataset would be streamed from disk, which cannot "
            "run over several processes yet; raise data.memory_limit_mb to hold it in "
            "memory, or leave out --nproc")])


def start_ranks(env: RankEnv, device_setting: str, timeout_s: float) -> Ranks:
    """Join torchrun's process group: NCCL for CUDA (this rank's GPU), gloo otherwise."""
    device = resolve_device(device_setting)
    backend = "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(env.local_rank)  # "cuda" now means this rank's GPU
        device, backend = torch.device("cuda", env.local_rank), "nccl"
    dist.init_process_group(backend, timeout=timedelta(seconds=timeout_s))
    ranks = Ranks(env.rank, env.world, device, timeout_s)
    remember(ranks)
    return ranks


def stop_ranks() -> None:
    """Leave the process group (a local act for gloo: it waits for no other rank)."""
    forget()
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


@dataclass(frozen=True)
class LaunchResult:
    exit_code: int
    message: str | None  # for people, when no rank said why it failed


def launch(nproc: int, child_args: list[str], cores: int) -> LaunchResult:
    """Run ``python -m workbench <child_args>`` as ``nproc`` ranks on this machine, with
    torchrun's own launcher; returns rank 0's exit code (1 if another rank failed).

    ``cores`` split evenly sets OMP_NUM_THREADS for the ranks (torchrun would set 1).
    """
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import get_args_parser, run as torchrun

    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, cores // nproc)))
    _quiet_torchrun_logs()  # the ranks and this command say what went wrong, once
    args = get_args_parser().parse_args(["--standalone", f"--nproc-per-node={nproc}",
                                         "--module", "workbench", *child_args])
    try:
        torchrun(args)
    except ChildFailedError as error:
        return _failed(error.failures)
    except SignalException:  # Ctrl+C: the ranks stopped after the same step, rank 0 saved it
        return LaunchResult(130, None)
    return LaunchResult(0, None)


def _quiet_torchrun_logs() -> None:
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("torch.distributed"):
            logging.getLogger(name).setLevel(logging.CRITICAL)


def _failed(failures: dict[int, Any]) -> LaunchResult:
    """Rank 0's own code where it ended by itself (it printed why); 1 otherwise."""
    first = failures.get(0)
    if first is not None and first.exitcode > 0:
        return LaunchResult(first.exitcode, None)
    described = ", ".join(f"rank {rank} " + (f"exit code {failure.exitcode}"
                                              if failure.exitcode >= 0 else
                                              f"ended by signal {-failure.exitcode}")
                          for rank, failure in sorted(failures.items()))
    return LaunchResult(1, f"a process of the run failed ({described})")
