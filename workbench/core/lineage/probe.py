"""The probe set: the images every model is asked about (the test split by default).

The test split is what neither the teacher nor any student trained on, so shared
answers there come from what the models learned, not from memorised training rows.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from workbench.core.data import DATASETS
from workbench.core.data.dataset import normalize
from workbench.core.data.registry import load_named
from workbench.core.errors import WorkbenchError

DEFAULT_DATASET = "fashion-mnist"


class LineageError(WorkbenchError):
    """A detection cannot start: a bad target, too few references, a mismatched probe."""


@dataclass(frozen=True)
class Probe:
    """Normalised probe images and their true labels, with where they came from."""

    dataset: str
    inputs: torch.Tensor
    labels: torch.Tensor
    num_classes: int

    @property
    def size(self) -> int:
        return int(self.labels.shape[0])

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.inputs.shape[1:])


def load_probe(dataset: str = DEFAULT_DATASET, size: int | None = None) -> Probe:
    """The first ``size`` test images of ``dataset`` (all of them when None).

    Raises:
        LineageError: an unknown dataset or a size below 2.
        DataError: the dataset's files cannot be found or read.
    """
    if dataset not in DATASETS:
        raise LineageError(f"--dataset: {DATASETS.unknown_message(dataset)}")
    if size is not None and size < 2:
        raise LineageError(f"--probe: {size} images are too few; give at least 2")
    loaded = load_named(dataset)
    images, labels = loaded.test_images, loaded.test_labels
    if size is not None:
        images, labels = images[:size], labels[:size]
    return Probe(dataset, normalize(images, loaded), labels.long(), loaded.num_classes)
