"""Data larger than ``data.memory_limit_mb``: decoded once to disk, read batch by batch.

The in-memory path holds every training image twice: uint8 as loaded and float32
as normalized (5 bytes a pixel). When that exceeds the limit the run streams:

- the training images are written once, shard by shard, into a uint8 memory-mapped
  file in the cache folder (``shard_store``), keyed by a fingerprint of where they
  came from (an image folder's paths, sizes and mtimes; an in-memory dataset's
  content digest). A run killed while decoding resumes with the shards it finished;
- ``PreparedData.inputs`` is then a ``StreamedImages``: it reads rows from that file
  and normalizes them on read, and indexes like the float tensor the engine expects
  (``index_select``, slicing, ``split``), so every phase runs unchanged;
- a student fit reads its batches through a torch ``DataLoader`` with worker
  processes (``streamed_batches.StreamedTrainSet``), in the loop's seeded order;
  ``data.workers: 0`` (the default on a 2-core machine) reads them in the training
  process instead.

Decoding once rather than per epoch: decoding a 28x28 PNG with Pillow took 230-900 us
(by machine load), reading its row from the decoded file 0.3-0.5 us
(benchmarks/streaming.py), so a per-epoch decode of Fashion-MNIST would cost 13-50 s
of CPU per epoch, 10-40x an epoch of a small student.

The validation rows and the test split stay in memory: they are evaluated whole
after every epoch, and they are small (``data.val_size``; the test split).
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psutil
import torch

from workbench.core.config.section import Section
from workbench.core.data.dataset import ImageDataset, normalize
from workbench.core.data.shard_store import Layout, ShardStore, fill
from workbench.core.paths import user_cache_dir

AUTO_FRACTION = 0.5  # memory_limit_mb: null = half of the memory available at the start
BYTES_PER_PIXEL = 1 + 4  # uint8 as loaded + float32 as normalized (the in-memory path)
DECODE_SHARD_ROWS = 4096
MiB = 1024 * 1024

Normalizer = Callable[[torch.Tensor], torch.Tensor]


def memory_limit_bytes(data: Section) -> int:
    """``data.memory_limit_mb`` in bytes; null: ``AUTO_FRACTION`` of the available memory."""
    limit_mb = data.get("memory_limit_mb")
    if limit_mb is None:
        return int(psutil.virtual_memory().available * AUTO_FRACTION)
    return int(limit_mb) * MiB


def in_memory_bytes(count: int, image_shape: tuple[int, ...]) -> int:
    """What the in-memory path holds for ``count`` training images of ``image_shape``."""
    return count * int(np.prod(image_shape, dtype=np.int64)) * BYTES_PER_PIXEL


def should_stream(count: int, image_shape: tuple[int, ...], data: Section) -> bool:
    return in_memory_bytes(count, image_shape) > memory_limit_bytes(data)


@dataclass(frozen=True)
class ImageSource:
    """Images not yet decoded: ``read(start, stop)`` -> uint8 (rows, C, H, W).

    ``fingerprint`` names the source (file list with sizes and mtimes, or a digest of
    the content): the decoded file is found again by it and never reused for other data.
    """

    count: int
    shape: tuple[int, int, int]
    fingerprint: str
    read: Callable[[int, int], np.ndarray]


def tensor_source(images: torch.Tensor, fingerprint: str) -> ImageSource:
    """An in-memory uint8 tensor (IDX, synthetic, arrays) as a source."""
    return ImageSource(int(images.shape[0]), tuple(images.shape[1:]),  # type: ignore[arg-type]
                       fingerprint, lambda start, stop: images[start:stop].numpy())


def files_fingerprint(paths: list[Path], extra: str = "") -> str:
    """sha256 over each file's path, size and mtime (and ``extra``: size, channels):
    a changed, added or removed file gives another fingerprint, so another decoded file."""
    digest = hashlib.sha256(extra.encode())
    for path in paths:
        stat = path.stat()
        digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def files_source(paths: list[Path], shape: tuple[int, int, int],
                 decode: Callable[[Path], np.ndarray], fingerprint: str | None = None
                 ) -> ImageSource:
    """Image files decoded one by one with ``decode(path) -> uint8 C x H x W``;
    ``fingerprint`` defaults to the files' own (``files_fingerprint``)."""
    def read(start: int, stop: int) -> np.ndarray:
        return np.stack([np.asarray(decode(path), dtype=np.uint8) for path in paths[start:stop]])

    return ImageSource(len(paths), shape, fingerprint or files_fingerprint(paths, f"{shape}"),
                       read)


def decoded_path(source: ImageSource, cache_dir: Path | None = None) -> Path:
    """One file per (fingerprint, row count): a ``train_limit`` run gets its own file."""
    name = hashlib.sha256(f"{source.fingerprint}|{source.count}".encode()).hexdigest()[:32]
    return (cache_dir or user_cache_dir()) / "streamed-images" / f"{name}.u8"


def decode_once(source: ImageSource, cache_dir: Path | None = None,
                on_note: Callable[[str], None] | None = None,
                on_shard: Callable[[int], None] | None = None) -> tuple[Path, np.ndarray]:
    """The source decoded into its uint8 memory-mapped file (decoding only missing shards)."""
    path = decoded_path(source, cache_dir)
    layout = Layout(source.fingerprint, source.count, source.shape, "uint8", DECODE_SHARD_ROWS)
    store = ShardStore(path, layout, on_note)
    return path, fill(store, source.read, on_shard)


def open_images(path: Path, shape: tuple[int, ...]) -> torch.Tensor:
    """A uint8 tensor over the decoded file: pages are read when rows are touched.

    Copy-on-write mode ("c") keeps the tensor writable for torch without ever
    writing to the file; nothing here writes to it.
    """
    return torch.from_numpy(np.memmap(path, dtype=np.uint8, mode="c", shape=tuple(shape)))


class StreamedImages:
    """Memory-mapped uint8 images that read as normalized float32, like the in-memory tensor.

    Supports what the engine does with ``PreparedData.inputs``: ``shape``, ``device``,
    ``index_select(0, rows)``, ``[rows]`` / ``[start:stop]``, ``split(size)`` and
    ``to(device)``; each read returns a new float tensor of just those rows. Rows are
    normalized exactly as the in-memory path does it (the same element-wise operation),
    so a streamed batch is bit-identical to the in-memory one.
    """

    dtype = torch.float32

    def __init__(self, path: Path, shape: tuple[int, ...], normalize: Normalizer) -> None:
        self.path, self.shape = path, torch.Size(shape)
        self.normalize = normalize
        self.raw = open_images(path, shape)

    @property
    def device(self) -> torch.device:
        return torch.device("cpu")

    def __len__(self) -> int:
        return int(self.shape[0])

    def dim(self) -> int:
        return len(self.shape)

    def raw_rows(self, rows: torch.Tensor) -> torch.Tensor:
        return read_rows(self.raw, rows)

    def index_select(self, dim: int, rows: torch.Tensor) -> torch.Tensor:
        if dim != 0:
            raise ValueError("streamed images are indexed by row (dim 0) only")
        return self.normalize(self.raw_rows(rows)).to(rows.device)

    def __getitem__(self, index: slice | torch.Tensor) -> torch.Tensor:
        if isinstance(index, torch.Tensor):
            if index.dtype == torch.bool:
                index = index.nonzero().flatten()
            return self.index_select(0, index)
        return self.normalize(self.raw[index])

    def split(self, size: int) -> Iterator[torch.Tensor]:
        for start in range(0, len(self), size):
            yield self[start:start + size]

    def to(self, device: torch.device | str, *args: object, **kwargs: object) -> StreamedImages:
        if torch.device(device).type != "cpu":
            raise ValueError("streamed images are read on the CPU; batches move to the device")
        return self

    def float(self) -> torch.Tensor:  # the whole set: only for code that needs it all
        return self[0:len(self)]


def read_rows(raw: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """``raw[rows]`` through numpy's fancy indexing: on a memory-mapped uint8 tensor it is
    many times faster than torch's ``index_select`` (which copies element by element)."""
    return torch.from_numpy(raw.numpy()[rows.cpu().numpy()])


def normalizer(dataset: ImageDataset) -> Normalizer:
    """``normalize`` with ``dataset``'s numbers, small enough to send to worker processes
    (the dataset without its tensors): workers normalize exactly as the in-memory path."""
    empty = torch.zeros(0, dtype=torch.uint8)
    light = dataclasses.replace(dataset, train_images=empty, train_labels=empty,
                                test_images=empty, test_labels=empty)
    return functools.partial(normalize, dataset=light)


def stream_inputs(images: torch.Tensor, fingerprint: str, normalize: Normalizer,
                  cache_dir: Path | None = None) -> StreamedImages:
    """Training images (already a uint8 tensor) as ``StreamedImages`` over their decoded file."""
    path, _ = decode_once(tensor_source(images, fingerprint), cache_dir)
    return StreamedImages(path, tuple(images.shape), normalize)


def train_inputs(dataset: ImageDataset, images: torch.Tensor, data: Section,
                 device: torch.device) -> torch.Tensor | StreamedImages:
    """The training inputs as the engine reads them: normalized in memory (the fast path,
    unchanged), or ``StreamedImages`` when uint8 images exceed ``data.memory_limit_mb``.

    Feature vectors and float images are always held in memory (not streamed yet).
    """
    shape = tuple(images.shape[1:])
    if (images.dtype != torch.uint8 or images.dim() != 4
            or not should_stream(int(images.shape[0]), shape, data)):
        return normalize(images, dataset).to(device)
    return stream_inputs(images, dataset.fingerprint, normalizer(dataset))
