"""What a dataset holds, for people: classes, counts per split, shape, samples, problems.

Used by ``workbench data inspect`` and the window's "Open dataset…". An image folder is
scanned (headers only) and only the sample images are decoded, so looking at a large
folder is quick; arrays and CSV tables are read whole (they are read whole to train too).
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from workbench.core.data.dataset import ImageDataset
from workbench.core.data.image_folder import SHOWN_FILES, decode_image, scan_image_folder
from workbench.core.data.image_folder_loader import PARAMS as FOLDER_PARAMS
from workbench.core.data.registry import DATASETS, load_named
from workbench.core.errors import DataError

ARRAY_SUFFIXES = (".npz", ".npy")
TABLE_SUFFIXES = (".csv", ".tsv")
SHOWN_ROWS = 5


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset described in plain values (no tensors), ready for a table or JSON.

    ``samples``: per class, up to a few training images (uint8 C x H x W arrays); empty
    for feature vectors, which show ``columns`` and their first ``rows`` instead.
    """

    name: str
    source: str
    input_shape: tuple[int, ...]
    classes: tuple[str, ...]
    counts: dict[str, list[int]]
    unreadable: tuple[tuple[str, str], ...] = ()  # the first few (path, reason)
    unreadable_count: int = 0
    samples: dict[str, tuple[np.ndarray, ...]] = field(default_factory=dict)
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[float, ...], ...] = ()
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Everything but the sample pixels (for ``--json``)."""
        return {"name": self.name, "source": self.source, "input_shape": list(self.input_shape),
                "classes": list(self.classes), "counts": self.counts,
                "unreadable": [list(item) for item in self.unreadable],
                "unreadable_count": self.unreadable_count, "columns": list(self.columns),
                "notes": list(self.notes)}


def data_section_for(path: Path) -> dict[str, Any]:
    """The ``data:`` settings that read ``path``: a folder of class folders, an .npz /
    folder of .npy, or a .csv. Raises DataError naming the path for anything else."""
    path = Path(os.path.abspath(Path(path).expanduser()))
    if path.is_dir():
        kind = "arrays" if (path / "x_train.npy").is_file() else "image-folder"
    elif path.is_file() and path.suffix.lower() in ARRAY_SUFFIXES:
        kind, path = "arrays", path if path.suffix.lower() == ".npz" else path.parent
    elif path.is_file() and path.suffix.lower() in TABLE_SUFFIXES:
        kind = "csv"
    else:
        raise DataError(f"{path}: not a folder, an .npz/.npy or a .csv file (the data the "
                        "workbench reads)")
    return {"dataset": kind, "root": str(path)}


def describe_dataset(data: Mapping[str, Any], samples_per_class: int = 8) -> DatasetInfo:
    """Describe the dataset ``data`` (a ``data:`` mapping; missing keys take defaults).

    Raises:
        DataError: it cannot be read (the loader's own message). KeyError: unknown dataset.
    """
    name = str(data.get("dataset", "fashion-mnist"))
    values = {key: value for key, value in data.items() if key != "dataset"}
    if name == "image-folder":
        return _describe_folder(values, samples_per_class)
    dataset = load_named(name, **values)
    info = _from_dataset(dataset, samples_per_class)
    if name == "csv":
        from workbench.core.data.csv_table import read_table  # only tables have columns

        entry = DATASETS.get("csv")
        settings = {p.name: p.default for p in entry.params} | values
        header, features, _labels = read_table(Path(str(values["root"])).expanduser(),
                                               settings["label_column"], settings["delimiter"])
        rows = tuple(tuple(float(v) for v in row) for row in features[:SHOWN_ROWS])
        info = replace(info, columns=tuple(header), rows=rows)
    return info


def _from_dataset(dataset: ImageDataset, samples_per_class: int) -> DatasetInfo:
    own_val = dataset.val_count
    train_end = dataset.train_labels.shape[0] - own_val
    splits = {"train": dataset.train_labels[:train_end], "test": dataset.test_labels}
    if own_val:
        splits["val"] = dataset.train_labels[train_end:]
    counts = {split: torch.bincount(labels, minlength=dataset.num_classes).tolist()
              for split, labels in splits.items()}
    samples: dict[str, tuple[np.ndarray, ...]] = {}
    rows: tuple[tuple[float, ...], ...] = ()
    if dataset.is_features:
        rows = tuple(tuple(float(v) for v in row) for row in dataset.train_images[:SHOWN_ROWS])
    else:
        for label, class_name in enumerate(dataset.classes):
            picked = torch.nonzero(splits["train"] == label).flatten()[:samples_per_class]
            samples[class_name] = tuple(_as_uint8(dataset.train_images[row]) for row in picked)
    return DatasetInfo(dataset.name, dataset.source, dataset.input_shape, dataset.classes,
                       counts, samples=samples, rows=rows, notes=dataset.notes)


def _describe_folder(values: dict[str, Any], samples_per_class: int) -> DatasetInfo:
    settings = {"seed": 0, **{p.name: p.default for p in FOLDER_PARAMS}, **values}
    if not settings.get("root"):
        raise DataError("data.root: give the folder holding one sub-folder per class")
    index = scan_image_folder(Path(str(settings["root"])), seed=int(settings["seed"]),
                              test_fraction=float(settings["test_fraction"]))
    size = ((settings["image_size"],) * 2 if settings["image_size"] else index.size)
    channels = int(settings["channels"] or index.channels)
    samples: dict[str, tuple[np.ndarray, ...]] = {}
    skipped = list(index.unreadable)
    train = index.splits["train"]
    for label, class_name in enumerate(index.classes):
        paths = [path for path, of in zip(train.paths, train.labels) if of == label]
        images = []
        for path in paths:
            if len(images) == samples_per_class:
                break
            try:
                images.append(decode_image(path, size, channels).numpy())
            except DataError as error:
                skipped.append((path, str(error).removeprefix(f"{path}: ")))
        samples[class_name] = tuple(images)
    return DatasetInfo("image-folder", str(index.root), (channels, *size), index.classes,
                       index.counts(), tuple((str(p), why) for p, why in skipped[:SHOWN_FILES]),
                       len(skipped), samples,
                       notes=(f"split by {index.split_by}",))


def _as_uint8(image: torch.Tensor) -> np.ndarray:
    if image.dtype == torch.uint8:
        return image.numpy().copy()
    low, high = float(image.min()), float(image.max())  # float images: stretched to 0..255
    scale = 255.0 / (high - low) if high > low else 0.0
    return ((image - low) * scale).round().clamp(0, 255).to(torch.uint8).numpy()
