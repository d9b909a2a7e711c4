"""What every dataset read from the user's files shares: the root, limits, labels, splits.

Each check fails with one ``DataError`` naming the field (``data.root``...), the file
and the limit, so a front-end shows one line and never a traceback.
"""
from __future__ import annotations

import math
import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import psutil
import torch

from workbench.core.config.section import Section
from workbench.core.data.dataset import ImageDataset, channel_statistics
from workbench.core.errors import DataError

# Loaded inputs live twice in memory: as read (uint8 or float32) and normalised (float32).
MEMORY_SHARE = 0.5  # of the memory available now that one dataset may take
MAX_CLASSES = 100_000
GIB = 1024**3


def require_root(data: Section, kind: str, what: str) -> Path:
    """``data.root`` as a path that exists (``what``: "a folder", "an .npz file"...)."""
    if not data.root:
        raise DataError(f"data.root: dataset '{kind}' reads your files; set data.root to "
                        f"{what}")
    root = Path(data.root).expanduser()
    if not root.exists():
        raise DataError(f"data.root: {root} does not exist (dataset '{kind}' needs {what})")
    return root


def check_memory(rows: int, shape: Sequence[int], bytes_per_value: int, field: str,
                 source: Path) -> None:
    """Refuse inputs that would not fit in memory, before reading them.

    Counted with Python integers (no overflow): the inputs as read plus their float32
    normalised copy must stay under ``MEMORY_SHARE`` of the memory available now.
    """
    values = rows * math.prod(shape)
    needed = values * (bytes_per_value + 4)
    allowed = int(psutil.virtual_memory().available * MEMORY_SHARE)
    if needed > allowed:
        raise DataError(f"{field}: {source} holds {rows:,} samples of shape "
                        f"{tuple(shape)}: loading them takes {needed / GIB:.1f} GiB, more than "
                        f"the {allowed / GIB:.1f} GiB allowed ({MEMORY_SHARE:.0%} of the memory "
                        "available now); use smaller inputs or fewer samples")


def check_finite(values: np.ndarray, name: str, source: Path) -> None:
    """NaN or infinity in inputs would make every loss NaN: refuse them, saying where."""
    if values.dtype.kind != "f":
        return
    bad = ~np.isfinite(values.reshape(values.shape[0], -1)).all(axis=1)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataError(f"{source}: {name} has NaN or infinite values in {int(bad.sum()):,} "
                        f"rows (first: row {first}); fill or drop them first")


def label_indices(train: np.ndarray, test: np.ndarray, classes: Sequence[str] | None,
                  source: Path) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Labels -> int64 indices and class names.

    Integer labels index ``classes`` when given (each must be in range), else they
    are their own names ("0".."K-1"); string labels become the sorted unique names.
    """
    if train.dtype.kind in "USO" or test.dtype.kind in "USO":
        names = tuple(sorted({str(value) for value in (*train.tolist(), *test.tolist())}))
        if classes is not None and set(names) - set(classes):
            extra = sorted(set(names) - set(classes))[:5]
            raise DataError(f"{source}: labels {extra} are not in the classes given")
        names = tuple(classes) if classes is not None else names
        lookup = {name: index for index, name in enumerate(names)}
        return (np.array([lookup[str(v)] for v in train.tolist()], dtype=np.int64),
                np.array([lookup[str(v)] for v in test.tolist()], dtype=np.int64), names)
    integral = [_as_int_labels(values, name, source)
                for values, name in ((train, "y_train"), (test, "y_test"))]
    highest = max((int(values.max()) for values in integral if values.size), default=-1)
    if classes is None:
        if highest + 1 > MAX_CLASSES:
            raise DataError(f"{source}: labels go up to {highest}: more than the limit of "
                            f"{MAX_CLASSES:,} classes")
        classes = tuple(str(index) for index in range(highest + 1))
    elif highest >= len(classes):
        raise DataError(f"{source}: labels go up to {highest}, but there are "
                        f"{len(classes)} classes (labels must be 0..{len(classes) - 1})")
    return integral[0], integral[1], tuple(str(name) for name in classes)


def _as_int_labels(values: np.ndarray, name: str, source: Path) -> np.ndarray:
    if values.ndim != 1:
        raise DataError(f"{source}: {name} has shape {values.shape}; labels are one per "
                        "row (shape (N,))")
    if values.dtype.kind == "f":
        if not np.isfinite(values).all() or not (values == np.round(values)).all():
            raise DataError(f"{source}: {name} holds non-integer labels; labels are class "
                            "indices 0..K-1 or class names")
    elif values.dtype.kind not in "iub":
        raise DataError(f"{source}: {name} has dtype {values.dtype}; labels are integers "
                        "or strings")
    labels = values.astype(np.int64)
    if labels.size and int(labels.min()) < 0:
        raise DataError(f"{source}: {name} holds the negative label {int(labels.min())}; "
                        "labels are class indices 0..K-1")
    return labels


def split_rows(labels: np.ndarray, seed: int, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """(train rows, test rows): per class ``round(fraction * n)`` rows (at least one when
    the class has two or more) go to test, drawn by ``seed``."""
    train: list[int] = []
    test: list[int] = []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label).tolist()
        random.Random(f"{seed}|{label}").shuffle(rows)
        cut = min(len(rows) - 1, max(1, round(fraction * len(rows)))) if len(rows) > 1 else 0
        test += rows[:cut]
        train += rows[cut:]
    return np.array(sorted(train), dtype=np.int64), np.array(sorted(test), dtype=np.int64)


def finish(name: str, classes: tuple[str, ...], train: torch.Tensor, train_labels: torch.Tensor,
           test: torch.Tensor, test_labels: torch.Tensor, source: Path,
           notes: Sequence[str] = (), val: tuple[torch.Tensor, torch.Tensor] | None = None
           ) -> ImageDataset:
    """The ImageDataset, with mean/std computed on the training split (never on val or
    test), and a note naming classes that have no training samples.

    ``val``: the dataset's own validation split, kept after the training rows."""
    if len(classes) < 2:
        raise DataError(f"{source}: {len(classes)} class found ({', '.join(classes)}); "
                        "classification needs at least 2")
    if train.shape[0] == 0:
        raise DataError(f"{source}: no training samples")
    counts = torch.bincount(train_labels, minlength=len(classes))
    empty = [classes[index] for index in range(len(classes)) if int(counts[index]) == 0]
    if empty:
        notes = (*notes, f"{len(empty)} classes have no training samples: "
                 f"{', '.join(empty[:5])}{' ...' if len(empty) > 5 else ''}")
    mean, std = channel_statistics(train)
    val_count = 0
    if val is not None and val[0].shape[0]:
        val_count = int(val[0].shape[0])
        train, train_labels = torch.cat([train, val[0]]), torch.cat([train_labels, val[1]])
    return ImageDataset(name, classes, train, train_labels, test, test_labels,
                        source=str(source), mean=mean, std=std, notes=tuple(notes),
                        val_count=val_count)
