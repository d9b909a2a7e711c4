"""Small Fashion-MNIST-format IDX sets, written by the tests themselves."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from workbench.core.data.idx import write_idx
from workbench.core.data.locate import IDX_FILES

WriteIdxSet = Callable[..., dict[str, np.ndarray]]


def write_idx_set(folder: Path, train: int = 200, test: int = 50, *, gz: bool = True,
                  seed: int = 0, train_labels: int | None = None) -> dict[str, np.ndarray]:
    """Write the four IDX files of a tiny dataset; returns the arrays written.

    ``train_labels`` writes a different number of training labels than images.
    """
    rng = np.random.default_rng(seed)
    arrays = {
        "train_images": rng.integers(0, 256, (train, 28, 28), dtype=np.uint8),
        "train_labels": (np.arange(train if train_labels is None else train_labels) % 10
                         ).astype(np.uint8),
        "test_images": rng.integers(0, 256, (test, 28, 28), dtype=np.uint8),
        "test_labels": (np.arange(test) % 10).astype(np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for key, stem in IDX_FILES.items():
        write_idx(folder / (stem + (".gz" if gz else "")), arrays[key])
    return arrays


@pytest.fixture()
def idx_set() -> WriteIdxSet:
    return write_idx_set
