"""The dataset registry: name -> loader(root, seed, download) -> ImageDataset."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from workbench.core.data.dataset import ImageDataset
from workbench.core.config.registry import Registry

DatasetLoader = Callable[[Path | None, int, bool], ImageDataset]
DATASETS: Registry[DatasetLoader] = Registry("dataset")
