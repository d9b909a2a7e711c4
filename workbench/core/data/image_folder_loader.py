"""The ``image-folder`` dataset: the user's images, decoded into memory.

``scan_image_folder`` finds the files; this decodes each one to the same size and
channels, lists the files that fail (never a traceback), and computes the per-channel
mean and std on the training split.
"""
from __future__ import annotations

from pathlib import Path

import torch

from workbench.core.config.params import Param
from workbench.core.config.section import Section
from workbench.core.data.dataset import ImageDataset
from workbench.core.data.image_folder import (MAX_SIDE, FolderIndex, SplitFiles, decode_image,
                                              scan_image_folder, unreadable_note)
from workbench.core.data.registry import DATASETS
from workbench.core.data.streamed_folder import load_streamed_folder
from workbench.core.data.streaming import should_stream
from workbench.core.data.user_data import check_memory, finish, require_root
from workbench.core.errors import DataError

TEST_FRACTION = Param("test_fraction", "float", 0.2, "share of each class held out for testing "
                      "when the data has no test split of its own (drawn by data.seed)",
                      minimum=0.0, exclusive_minimum=True, maximum=0.9)
PARAMS = (
    Param("image_size", "int", None, "resize every image to this many pixels square "
          "(null: keep the most common size of the training images)", nullable=True,
          minimum=4, maximum=MAX_SIDE),
    Param("channels", "int", None, "1 (grayscale) or 3 (RGB); null: 3 if any training image "
          "is in colour, else 1", nullable=True, minimum=1, maximum=3),
    TEST_FRACTION,
)


@DATASETS.register("image-folder", params=PARAMS,
                   help="your images: data.root/<class>/<image> (PNG, JPEG, BMP), optionally "
                        "under train/ test/ (and val/)")
def load_image_folder(data: Section) -> ImageDataset:
    root = require_root(data, "image-folder", "a folder with one sub-folder per class")
    if data.channels not in (None, 1, 3):
        raise DataError(f"data.channels: must be 1 (grayscale) or 3 (RGB), got {data.channels}")
    index = scan_image_folder(root, seed=data.seed, test_fraction=data.test_fraction)
    size = (data.image_size, data.image_size) if data.image_size else index.size
    channels = data.channels or index.channels
    skipped = list(index.unreadable)
    split_note = ([f"no train/ and test/ folders: {len(index.splits['test'])} images "
                   f"({data.test_fraction:.0%} of each class, seed {data.seed}) held out for "
                   "testing"] if index.split_by == "seed" else [])
    training = len(index.splits["train"]) + len(index.splits.get("val", ()))
    if should_stream(training, (channels, *size), data):  # larger than data.memory_limit_mb
        notes = [unreadable_note(skipped, index.root)] if skipped else []
        return load_streamed_folder(index, size, channels, notes + split_note)
    total = sum(len(split) for split in index.splits.values())
    check_memory(total, (channels, *size), 1, "data.image_size", index.root)
    decoded = {name: _decode(split, size, channels, skipped)
               for name, split in index.splits.items()}
    if decoded["train"][0].shape[0] == 0:
        raise DataError(f"data.root: none of the {len(index.splits['train'])} training images "
                        f"under {index.root} could be read; {unreadable_note(skipped, index.root)}")
    notes = [unreadable_note(skipped, index.root)] if skipped else []
    return finish("image-folder", index.classes, *decoded["train"], *decoded["test"],
                  source=index.root, notes=notes + split_note, val=decoded.get("val"))


def _decode(split: SplitFiles, size: tuple[int, int], channels: int,
            skipped: list[tuple[Path, str]]) -> tuple[torch.Tensor, torch.Tensor]:
    """The split's images (N x C x H x W uint8) and labels; failures go to ``skipped``."""
    images = torch.empty((len(split), channels, *size), dtype=torch.uint8)
    kept: list[int] = []
    for row, path in enumerate(split.paths):
        try:
            images[len(kept)] = decode_image(path, size, channels)
        except DataError as error:
            skipped.append((path, str(error).removeprefix(f"{path}: ")))
            continue
        kept.append(row)
    labels = torch.tensor([split.labels[row] for row in kept], dtype=torch.int64)
    return images[:len(kept)].clone() if len(kept) < len(split) else images, labels


def describe_index(index: FolderIndex) -> dict[str, object]:
    """What ``workbench data inspect`` prints for a folder: classes, counts, format."""
    return {"root": str(index.root), "classes": list(index.classes),
            "counts": index.counts(), "split_by": index.split_by,
            "size": list(index.size), "channels": index.channels,
            "unreadable": [[str(path), reason] for path, reason in index.unreadable]}
