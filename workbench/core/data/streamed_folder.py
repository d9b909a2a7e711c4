"""An image folder too large for memory: decoded once into a memory-mapped file.

The ``image-folder`` loader calls ``load_streamed_folder`` instead of decoding into
memory when ``streaming.should_stream`` says the folder exceeds ``data.memory_limit_mb``.
The training (and own val) images are decoded shard by shard into a uint8 file in the
cache folder, keyed by the dataset's fingerprint (each file's path, size and mtime, and
the decoded size and channels), so the next run opens it without decoding. The test
split is decoded the same way and then held in memory (the benchmark evaluates it whole).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch

from workbench.core.data.dataset import ImageDataset, channel_statistics
from workbench.core.data.image_folder import FolderIndex, decode_image
from workbench.core.data.streaming import decode_once, files_fingerprint, files_source, open_images

STREAMED_NOTE = "streamed from disk: {rows:,} training images decoded once to the cache folder"


def folder_fingerprint(index: FolderIndex, size: tuple[int, int], channels: int) -> str:
    """What the decoded files and the teacher's cached outputs are keyed by: every split's
    files (path, size, mtime, in order) and the decoded format."""
    parts = [f"image-folder|{channels}x{size[0]}x{size[1]}"]
    for name in sorted(index.splits):
        parts.append(f"{name}:{files_fingerprint(list(index.splits[name].paths))}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def load_streamed_folder(index: FolderIndex, size: tuple[int, int], channels: int,
                         notes: list[str], cache_dir: Path | None = None) -> ImageDataset:
    """The folder as an ImageDataset whose training images are a memory-mapped file.

    Raises:
        DataError: a file that passed the scan fails to decode (named in the message).
    """
    fingerprint = folder_fingerprint(index, size, channels)
    train, val = index.splits["train"], index.splits.get("val")
    paths = list(train.paths) + (list(val.paths) if val is not None else [])
    labels = list(train.labels) + (list(val.labels) if val is not None else [])

    def decode(path: Path) -> np.ndarray:
        return decode_image(path, size, channels).numpy()

    shape = (channels, *size)
    path, _ = decode_once(files_source(paths, shape, decode, fingerprint), cache_dir)
    images = open_images(path, (len(paths), *shape))
    test = index.splits["test"]
    test_array = np.zeros((0, *shape), dtype=np.uint8)  # none: prepare says so, by name
    if len(test):
        _, test_array = decode_once(files_source(list(test.paths), shape, decode,
                                                 f"{fingerprint}|test"), cache_dir)
    mean, std = channel_statistics(images[:len(train)])  # training split only, chunk by chunk
    return ImageDataset("image-folder", index.classes, images,
                        torch.tensor(labels, dtype=torch.int64),
                        torch.from_numpy(np.array(test_array)),
                        torch.tensor(test.labels, dtype=torch.int64), source=str(index.root),
                        mean=mean, std=std,
                        notes=(*notes, STREAMED_NOTE.format(rows=len(paths))),
                        val_count=0 if val is None else len(val),
                        _fingerprint=[fingerprint])
