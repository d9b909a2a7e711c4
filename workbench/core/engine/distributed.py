"""One fit over several processes: torch DistributedDataParallel, as the loop sees it.

A run started by torchrun (``workbench run --nproc N`` starts it itself) has N
processes, its *ranks*, each holding all the data. Every step the loop draws the
same seeded global batch of ``train.batch_size`` rows on every rank; rank r takes
the r-th contiguous part of it (``Ranks.share``), and DDP sums the parts'
gradients, each weighted by its share of the batch's rows (a communication hook),
so the update is the one a single process makes on the whole batch, up to the
order of float sums. That holds for the last, shorter batch of an epoch as well,
whose rows may not split evenly (a rank left with no row trains a borrowed one with
weight 0: DDP needs every rank in every gradient sum).

What else keeps the ranks in step, and why:

- the flips of ``augment: flip`` are drawn for the whole batch on every rank and
  each takes its part, so every rank's generator stays where one process's would;
- each step's loss values (and a stop request) are summed across ranks before
  anyone reads them: every rank sees the same loss, so a NaN fails all of them at
  the same step, and a stop (Ctrl+C, torchrun's SIGTERM) stops all after the same step;
- the epoch's training accuracy is counted over every rank's rows;
- validation runs on every rank (same weights, same rows, same answer, no message);
- the teacher's pass is split by rows: each rank predicts its part and all
  gather the whole (``Ranks.sharded``); only the writer (rank 0) saves the file.

Not the same as one process: dropout masks (each rank draws its rows' masks from
the same stream) and batch-norm statistics (per rank, as DDP computes them).

A process without a process group is ``SINGLE_PROCESS``: every method is then the
identity, so the loop has one code path.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from workbench.core.distill.step_loss import StepLoss
from workbench.core.errors import RunFailed
from workbench.core.stream.control import RunControl

Predictor = Callable[..., torch.Tensor]  # (inputs, on_batch=None) -> logits, as loop.predict


@dataclass(frozen=True)
class Share:
    """This rank's rows of one global batch.

    Attributes:
        positions: the positions this rank trains on (a contiguous part of the batch's).
        rows: rows of the whole batch, over every rank.
        part: where ``positions`` sit in the whole batch.
        weight: this rank's share of the batch's rows (its gradient's weight in the sum).
    """

    positions: torch.Tensor
    rows: int
    part: slice
    weight: float = 1.0

    @property
    def owned(self) -> bool:
        """False for a row borrowed to keep step with the others (it counts for nothing)."""
        return self.weight > 0


def part_of(positions: torch.Tensor, rank: int, world: int) -> Share:
    """Rank ``rank``'s part of a global batch.

    A batch with fewer rows than ranks (an epoch's last, 1 row over 2 ranks) leaves
    some rank nothing: that rank trains the batch's first row with weight 0, since every
    rank must take part in DDP's gradient sum, and an empty batch has no mean loss.
    """
    rows = int(positions.shape[0])
    start, stop = split_bounds(rows, world)[rank]
    if stop == start:
        return Share(positions[:1], rows, slice(0, 1), 0.0)
    return Share(positions[start:stop], rows, slice(start, stop), (stop - start) / rows)


def split_bounds(rows: int, parts: int) -> list[tuple[int, int]]:
    """``[start, stop)`` of each part: contiguous, sizes differing by at most one
    (``torch.tensor_split``'s rule), every row exactly once."""
    size, extra = divmod(rows, parts)
    bounds, start = [], 0
    for index in range(parts):
        stop = start + size + (1 if index < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds


class _Weight:
    """The weight the communication hook gives this rank's gradient at this step."""

    def __init__(self, value: float) -> None:
        self.value = value


def _weighted_sum(state, bucket):  # type: ignore[no-untyped-def]
    """DDP communication hook: sum of every rank's gradient times its share of the rows
    (the default hook divides by the rank count, which is wrong for uneven parts).

    No annotations: DDP compares them with ``dist.GradBucket`` itself, and this
    module's postponed (string) annotations would not compare equal.
    """
    tensor = bucket.buffer().mul_(state.value)
    work = dist.all_reduce(tensor, async_op=True)
    return work.get_future().then(lambda done: done.value()[0])


class Ranks:
    """The run's processes: this one's rank, how many there are, and the collectives
    the loop and the teacher pass need (all of them no-ops for one process)."""

    def __init__(self, rank: int = 0, world: int = 1,
                 device: torch.device | None = None, timeout_s: float | None = None) -> None:
        self.rank, self.world = rank, world
        self.device = device or torch.device("cpu")  # where collectives' tensors live
        self.timeout_s = timeout_s
        self._weight = _Weight(1.0 / world)

    @property
    def distributed(self) -> bool:
        return self.world > 1

    @property
    def writer(self) -> bool:
        """Rank 0 writes the run store, the cache file and the summary; the others don't."""
        return self.rank == 0

    def wrap(self, models: Sequence[nn.Module]) -> list[nn.Module]:
        """What the loop calls forward on: DDP wrappers (gradients summed at backward)."""
        if not self.distributed:
            return list(models)
        return [self._ddp(model) for model in models]

    def _ddp(self, model: nn.Module) -> nn.Module:
        with self.talking():
            ddp = nn.parallel.DistributedDataParallel(
                model, device_ids=None if self.device.type == "cpu" else [self.device.index])
        ddp.register_comm_hook(self._weight, _weighted_sum)
        return ddp

    def share(self, positions: torch.Tensor) -> Share:
        """This rank's part of a global batch; sets its gradient weight for the step."""
        if not self.distributed:
            return Share(positions, int(positions.shape[0]), slice(0, int(positions.shape[0])))
        share = part_of(positions, self.rank, self.world)
        self._weight.value = share.weight
        return share

    def reduced(self, losses: Sequence[StepLoss], share: Share,
                control: RunControl) -> Sequence[StepLoss]:
        """The step's losses as every rank will read them: the whole batch's values."""
        if not self.distributed:
            return losses
        return [_RankLoss(loss, self, share, control) for loss in losses]

    def summed(self, counts: Sequence[int]) -> tuple[int, ...]:
        """Integer counts (correct, labeled) summed over every rank."""
        if not self.distributed:
            return tuple(counts)
        tensor = torch.tensor(list(counts), dtype=torch.int64, device=self.device)
        with self.talking():
            dist.all_reduce(tensor)
        return tuple(int(value) for value in tensor.tolist())

    def all_agree(self, flag: bool) -> bool:
        """True only where every rank says True (e.g. "my cache file is sound")."""
        if not self.distributed:
            return flag
        tensor = torch.tensor([0 if flag else 1], dtype=torch.int64, device=self.device)
        with self.talking():
            dist.all_reduce(tensor)
        return int(tensor.item()) == 0

    def sharded(self, run: Predictor) -> Predictor:
        """``run`` over this rank's part of the rows; every rank gets every row's output.

        ``on_batch`` hears each local shard as ``world`` times its rows: what the
        whole run did meanwhile, so rank 0's progress counts every image.
        """
        if not self.distributed:
            return run

        def run_part(inputs: torch.Tensor,
                     on_batch: Callable[..., None] | None = None) -> torch.Tensor:
            start, stop = split_bounds(int(inputs.shape[0]), self.world)[self.rank]
            report = None if on_batch is None else (
                lambda rows: on_batch(rows * self.world))
            mine = run(inputs[start:stop], on_batch=report)
            return self.gathered(mine).to(inputs.device)

        return run_part

    def gathered(self, part: torch.Tensor) -> torch.Tensor:
        """Every rank's ``part``, in rank order (parts may differ in rows, even be empty)."""
        parts: list[Any] = [None] * self.world
        with self.talking():
            dist.all_gather_object(parts, part.detach().cpu())
        kept = [piece for piece in parts if piece.numel()]
        return torch.cat(kept) if kept else part.cpu()

    @contextmanager
    def talking(self) -> Iterator[None]:
        """A failed collective becomes one message for people: another rank died or hung.

        Also wraps a whole run, for collectives torch makes by itself (DDP's forward
        syncs its bucket order once, after the first backward). One process: no change.
        """
        try:
            yield
        except RuntimeError as error:  # DistBackendError and gloo/NCCL errors are these
            if not (self.distributed and _lost_peer(error)):
                raise  # this rank's own failure (out of memory...): its own message
            raise RunFailed(self.lost_message(error)) from error

    def lost_message(self, error: BaseException) -> str:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        first = re.sub(r"^\[[^\]]*\]\s*", "", first)[:160]  # gloo's "[source.cc:537] "
        limit = "" if self.timeout_s is None else f" or did not answer within {self.timeout_s:g} s"
        return (f"rank {self.rank} of {self.world}: another process of the run failed{limit} "
                f"(torch: {first})")


SINGLE_PROCESS = Ranks()
_PEER_WORDS = ("gloo", "nccl", "connection", "timed out", "timeout", "peer")


def _lost_peer(error: RuntimeError) -> bool:
    """Whether a collective failed because another rank is gone or silent."""
    text = str(error).lower()
    return isinstance(error, dist.DistError) or any(word in text for word in _PEER_WORDS)


@dataclass(frozen=True)
class _RankLoss:
    """A rank's step loss whose values are the whole batch's (a sum over the ranks)."""

    local: StepLoss
    ranks: Ranks
    share: Share
    control: RunControl

    def backward(self) -> None:
        with self.ranks.talking():  # DDP's gradient sum runs inside backward
            self.local.backward()

    def values(self) -> tuple[float, float, float]:
        weight = self.share.weight
        local = self.local.values() if self.share.owned else (0.0, 0.0, 0.0)
        stop = 1.0 if self.control.stop_requested else 0.0
        tensor = torch.tensor([value * weight for value in local] + [stop],
                              dtype=torch.float64, device=self.ranks.device)
        with self.ranks.talking():
            dist.all_reduce(tensor)
        total, hard, soft, stops = tensor.tolist()
        if stops > 0:  # one rank was asked to stop: all stop after this same step
            self.control.request_stop()
        return total, hard, soft


def current_ranks() -> Ranks:
    """This process's ranks: its process group's, or ``SINGLE_PROCESS`` without one."""
    if not (dist.is_available() and dist.is_initialized()):
        return SINGLE_PROCESS
    return _GROUP_RANKS.get("ranks") or Ranks(dist.get_rank(), dist.get_world_size())


# The Ranks that start_ranks made for this process's process group (its device and
# timeout); torch's process group is process-wide, so this is too.
_GROUP_RANKS: dict[str, Ranks] = {}


def remember(ranks: Ranks) -> None:
    _GROUP_RANKS["ranks"] = ranks


def forget() -> None:
    _GROUP_RANKS.clear()


def ranks_per_machine() -> int:
    """How many ranks share this machine's cores (torchrun's LOCAL_WORLD_SIZE; 1 without)."""
    try:
        return max(1, int(os.environ.get("LOCAL_WORLD_SIZE", "1")))
    except ValueError:
        return 1
