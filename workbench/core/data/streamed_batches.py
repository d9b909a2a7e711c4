"""A train set whose batches are read ahead by DataLoader worker processes.

The loop asks a train set for one epoch's ``positions`` and then ``take``s each
batch. ``StreamedTrainSet`` draws the positions exactly as ``TrainSet`` does (the
same generator calls, so the same order for the same seed), hands the epoch's
rows to a ``torch.utils.data.DataLoader`` whose workers read them from the
memory-mapped images ahead of the loop, and gives each prefetched batch back in
``take``. Batches of several steps travel together (``GROUP_ROWS``), which
spreads the cost of passing a batch between processes.

Workers also normalize (the same element-wise operations as the in-memory path,
so batches are bit-identical); labels and extras (teacher targets) stay in the
training process, small and already in memory.

Anything the prefetch cannot foresee falls back to reading in the training
process: a curriculum (it chooses each step from the student's last losses),
``workers: 0``, or positions other than those announced. The fallback is the
same read, so results never depend on it, only speed.

Workers are started once per fit and kept between epochs (``persistent_workers``:
starting them costs more than a small model's epoch on 2 cores); they stop when the
train set is collected after its fit, or at ``close()``.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from workbench.core.data.batches import Batch, Progress, TrainSet
from workbench.core.data.streaming import StreamedImages, open_images, read_rows

GROUP_ROWS = 1024  # rows read per worker task (several steps of a small batch)
PREFETCH = 4  # tasks in flight per worker


class _RowReads(Dataset[torch.Tensor]):
    """``dataset[rows]`` -> those rows read from the decoded file and normalized, by a worker.

    Workers open the file themselves (by path), so nothing large is pickled to them, and
    normalize there (the training process only splits the result into batches).
    """

    def __init__(self, images: StreamedImages) -> None:
        self.path, self.shape = images.path, tuple(images.shape)
        self.normalize = images.normalize
        self._raw: torch.Tensor | None = None

    def __getitem__(self, rows: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        if self._raw is None:
            self._raw = open_images(self.path, self.shape)
        return self.normalize(read_rows(self._raw, rows))

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_raw": None}

    def __len__(self) -> int:
        return int(self.shape[0])


class _EpochTasks(Sampler[torch.Tensor]):
    """The current epoch's row groups; set before each epoch (iterated in the main process)."""

    def __init__(self) -> None:
        self.tasks: list[torch.Tensor] = []

    def __iter__(self) -> Iterator[torch.Tensor]:
        return iter(self.tasks)

    def __len__(self) -> int:
        return len(self.tasks)


def _one_thread(worker: int) -> None:
    torch.set_num_threads(1)  # a worker copies rows; threads would only fight the training


class _Feed:
    """The epoch's prefetched batches, in the order the loop will take them."""

    def __init__(self) -> None:
        self.expected: deque[torch.Tensor] = deque()  # positions of each batch still to come
        self.sizes: deque[list[int]] = deque()  # batch sizes within each task
        self.ready: deque[torch.Tensor] = deque()  # normalized inputs of fetched batches
        self.batches: Iterator[torch.Tensor] | None = None
        self.reads = 0  # batches served from workers (tests check the path is used)

    def start(self, loader: DataLoader, tasks: _EpochTasks, rows: torch.Tensor,
              batches: list[torch.Tensor]) -> None:
        self.stop()
        groups: list[list[torch.Tensor]] = [[]]
        for positions in batches:
            if groups[-1] and sum(len(p) for p in groups[-1]) + len(positions) > GROUP_ROWS:
                groups.append([])
            groups[-1].append(positions)
        groups = [group for group in groups if group]
        tasks.tasks = [rows.index_select(0, torch.cat(group).to(rows.device)).cpu()
                       for group in groups]
        self.expected.extend(batches)
        self.sizes.extend([len(positions) for positions in group] for group in groups)
        self.batches = iter(loader)

    def next_inputs(self, positions: torch.Tensor) -> torch.Tensor | None:
        """The prefetched inputs of ``positions``, or None when they were not the ones announced."""
        if not self.expected or not torch.equal(self.expected[0], positions.cpu()):
            self.stop()
            return None
        self.expected.popleft()
        if not self.ready:
            assert self.batches is not None
            fetched = next(self.batches)
            self.ready.extend(fetched.split(self.sizes.popleft()))
            if not self.sizes:
                for _ in self.batches:  # run to its end: the workers wait for the next epoch
                    pass
                self.batches = None
        self.reads += 1
        return self.ready.popleft()

    def stop(self) -> None:
        """Forget the epoch's batches (a new epoch, or positions not announced)."""
        self.expected.clear()
        self.sizes.clear()
        self.ready.clear()
        self.batches = None


@dataclass(frozen=True)
class StreamedTrainSet(TrainSet):
    """A ``TrainSet`` over ``StreamedImages`` whose batches workers read ahead."""

    workers: int = 2
    feed: _Feed = field(default_factory=_Feed, compare=False, repr=False)
    loader: DataLoader | None = field(default=None, compare=False, repr=False)
    tasks: _EpochTasks = field(default_factory=_EpochTasks, compare=False, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.inputs, StreamedImages):
            raise TypeError("StreamedTrainSet needs StreamedImages inputs")
        if self.workers > 0 and self.loader is None:
            loader = DataLoader(_RowReads(self.inputs), batch_size=None, sampler=self.tasks,
                                num_workers=self.workers, prefetch_factor=PREFETCH,
                                worker_init_fn=_one_thread, persistent_workers=True)
            object.__setattr__(self, "loader", loader)

    def positions(self, batch_size: int, steps: int, first: Progress,
                  generator: torch.Generator) -> Iterator[torch.Tensor]:
        """The in-memory order (same generator draws); the epoch's rows go to the workers."""
        drawn = super().positions(batch_size, steps, first, generator)
        if self.sampler is not None or self.loader is None:
            return drawn  # a curriculum decides step by step: nothing to read ahead
        batches = [positions.cpu() for positions in drawn]
        self.feed.start(self.loader, self.tasks, self.rows, batches)
        return iter(batches)

    def take(self, positions: torch.Tensor, progress: Progress | None = None,
             prepared: Mapping[str, torch.Tensor] | None = None) -> Batch:
        inputs = self.feed.next_inputs(positions)
        if inputs is None:
            return super().take(positions, progress, prepared)
        rows, extras = self.rows_and_extras(positions.to(self.rows.device))
        return Batch(inputs.to(self.rows.device), self.labels.index_select(0, rows),
                     {**extras, **(prepared or {})}, self.fully_labeled, positions,
                     progress or Progress())

    def close(self) -> None:
        """Stop the worker processes now (they also stop when the train set is collected)."""
        self.feed.stop()
        iterator = getattr(self.loader, "_iterator", None)
        if iterator is not None:
            iterator._shutdown_workers()
            self.loader._iterator = None  # type: ignore[union-attr]


def auto_workers(cores: int, threads: int) -> int:
    """``data.workers: null``: workers only where they get a core of their own.

    On a machine whose cores the training threads (and the process's own overhead)
    already take, worker processes only compete with the training thread for the
    same cores, and reading a page-cached row in the training process costs well under
    a microsecond (benchmarks/streaming.py): there, 0. Elsewhere up to 2.
    """
    return max(0, min(2, cores - threads - 1))


def streamed(train_set: TrainSet, workers: int) -> TrainSet:
    """``train_set`` read ahead by ``workers`` processes when its inputs are streamed;
    any other train set (in memory, or views) is returned as it is."""
    if type(train_set) is not TrainSet or not isinstance(train_set.inputs, StreamedImages):
        return train_set
    return StreamedTrainSet(train_set.inputs, train_set.labels, train_set.rows,
                            train_set.extras, train_set.sampler, workers=workers)
