"""Fashion-MNIST and MNIST from IDX files."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from workbench.core.config.section import Section
from workbench.core.data.dataset import ImageDataset
from workbench.core.data.download import MIRRORS, download_idx
from workbench.core.data.idx import read_idx
from workbench.core.data.locate import candidate_folders, find_idx_files
from workbench.core.data.registry import DATASETS
from workbench.core.errors import DataError
from workbench.core.paths import user_cache_dir

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot")
DIGIT_CLASSES = tuple(str(digit) for digit in range(10))
DEBIAN_PACKAGES = {"fashion-mnist": "dataset-fashion-mnist"}


def load_idx_dataset(name: str, classes: tuple[str, ...], root: Path | None,
                     download: bool) -> ImageDataset:
    """Load from the first folder holding all four files; download if allowed and absent."""
    folders = candidate_folders(name, root)
    for folder in folders:
        files = find_idx_files(folder)
        if files:
            return _read(name, classes, files, folder)
    download_note = ""
    if download:
        target = user_cache_dir() / "datasets" / name
        try:
            download_idx(name, target)
            files = find_idx_files(target)
            if files:
                return _read(name, classes, files, target)
        except DataError as error:
            download_note = f"\nDownload failed: {error}"
    raise DataError(_missing_message(name, folders) + download_note)


def _read(name: str, classes: tuple[str, ...], files: dict[str, Path],
          folder: Path) -> ImageDataset:
    arrays = {key: read_idx(path) for key, path in files.items()}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or labels.shape[0] != images.shape[0]:
            raise DataError(f"{folder}: {split} images {images.shape} and labels "
                            f"{labels.shape} do not pair up")
        if labels.size and int(labels.max()) >= len(classes):
            raise DataError(f"{folder}: {split} labels go up to {int(labels.max())}, "
                            f"but {name} has {len(classes)} classes")

    def images(key: str) -> torch.Tensor:
        return torch.from_numpy(np.array(arrays[key], dtype=np.uint8)).unsqueeze(1)

    def labels(key: str) -> torch.Tensor:
        return torch.from_numpy(np.array(arrays[key], dtype=np.int64))

    return ImageDataset(name, classes, images("train_images"), labels("train_labels"),
                        images("test_images"), labels("test_labels"), source=str(folder))


def _missing_message(name: str, folders: list[Path]) -> str:
    looked = "\n".join(f"  - {folder}" for folder in folders)
    package = DEBIAN_PACKAGES.get(name)
    ways = ["set data.root to a folder holding the four IDX files "
            "(train-images-idx3-ubyte[.gz], ...)",
            "or set the WORKBENCH_DATA environment variable to such a folder"]
    if package:
        ways.append(f"or on Debian/Ubuntu: apt-get install {package}")
    if name in MIRRORS:
        ways.append(f"or with a network: workbench data download {name}")
    return (f"dataset '{name}' not found. Looked in:\n{looked}\nTo fix: " + ";\n  ".join(ways))


def _root(data: Section) -> Path | None:
    return Path(data.root).expanduser() if data.root else None


@DATASETS.register("fashion-mnist", help="Zalando's Fashion-MNIST: 70,000 28x28 clothing images")
def load_fashion_mnist(data: Section) -> ImageDataset:
    return load_idx_dataset("fashion-mnist", FASHION_CLASSES, _root(data), data.download)


@DATASETS.register("mnist", help="handwritten digits: 70,000 28x28 images")
def load_mnist(data: Section) -> ImageDataset:
    return load_idx_dataset("mnist", DIGIT_CLASSES, _root(data), data.download)
