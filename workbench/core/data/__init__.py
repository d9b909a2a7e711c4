"""Datasets, registered by name, and the splits the engine trains on."""
from __future__ import annotations

from workbench.core.data import mnist_family, synthetic  # noqa: F401  (register)
from workbench.core.data import arrays, csv_table, image_folder_loader  # noqa: F401  (register)
from workbench.core.data.dataset import ImageDataset
from workbench.core.data.registry import DATASETS

__all__ = ["DATASETS", "ImageDataset"]
